"""Hold a simulator's answers to its vendor's published response schemas (``simulators.contracts``).

An answer is checked against the operation its request was for: its status must be one the operation
declares (or one ``contracts/exceptions.toml`` accounts for), and its body must be valid against that
response's schema. A failure names the operation, the status, where in the body it failed and the
schema location that refused it, e.g. ``#/components/schemas/PaymentRefund/properties/status/enum``.

Schemas are checked with openapi-schema-validator's OpenAPI 3.0 read validator (``nullable``, ``format``
and writeOnly as OpenAPI means them); Swagger 2.0 schema objects are a subset of OpenAPI 3.0's, so the
Swagger-published contracts go through the same validator.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Iterable

from simulators.core.faults import FaultAction
from simulators.contracts import (
    Contract, ContractError, Operation, contract, exceptions, operations_of_handlers,
    platforms_with_contracts,
)


@dataclass(frozen=True)
class Violation:
    operation: Operation
    status: int
    url: str
    problem: str                    # what is wrong, in a sentence
    body_at: str = ""               # where in the answer's body (a JSON path), when the body is at fault
    schema_at: str = ""             # the schema location that refused it

    def __str__(self) -> str:
        where = f" at {self.body_at}" if self.body_at else ""
        schema = f" [schema {self.operation.source}{self.schema_at}]" if self.schema_at else ""
        return (f"{self.operation.platform} {self.operation.name} answered {self.status}{where}: "
                f"{self.problem}{schema} (request {self.url})")


def check_answer(platform: str, method: str, path: str, status: int, body: bytes, *, url: str = "",
                 handler: str | None = None) -> list[Violation]:
    """What is wrong with one answer of ``platform``'s simulator to ``method path`` (empty when nothing
    is, or when the request is for no published operation). ``handler`` narrows the operations to those
    its routes serve (what the journal recorded), so a request is judged as the simulator routed it."""
    found = contract(platform)
    among = operations_of_handlers(platform).get(handler, ()) if handler is not None else None
    operation = found.operation_at(method, path, among)
    if operation is None:
        return []
    url = url or path
    key = _response_key(operation, status)
    if key is None:
        return [Violation(operation, status, url, f"status {status} is not a response the operation declares "
                                                  f"({', '.join(operation.statuses)})")]
    pointer = _schema_pointer(found, operation, key)
    if pointer is None:
        return []
    try:
        instance = json.loads(body) if body else None
    except ValueError:
        return [Violation(operation, status, url, "the body is not JSON, while the response declares a JSON schema")]
    if instance is None and status == 204:
        return []   # a 204 has no content by HTTP's definition (RFC 9110 15.3.5), whatever schema a file gives it
    if instance is None:
        return [Violation(operation, status, url, "the body is empty, while the response declares a schema")]
    violations: dict[tuple[str, str], Violation] = {}
    document = found.file(operation.source).document
    for error in _validator(operation.source, pointer).iter_errors(instance):
        schema_at = _schema_location(document, pointer, error.schema_path)
        if any(e.excuses(operation, status, schema_at, error.json_path, error.instance) for e in exceptions()):
            continue
        # one failure per place: a null where OpenAPI 3.0 wants a number fails both nullable and type
        violations.setdefault((error.json_path, schema_at),
                              Violation(operation, status, url, error.message[:300], error.json_path, schema_at))
    return list(violations.values())


def check_journal(simulator: Any) -> list[Violation]:
    """Every answer in a simulator's journal that its vendor's contract refuses (none for a platform
    without a vendored contract). Not judged: requests no answer went back to (a dropped answer), and
    answers a fault cut short on purpose (a truncated body is the fault, not the platform's shape)."""
    if simulator.platform not in platforms_with_contracts():
        return []
    violations = []
    for entry in simulator.journal.entries():
        if entry.status == 0 or not entry.operation or entry.fault_action is FaultAction.TRUNCATED:
            continue
        violations += check_answer(simulator.platform, entry.method, entry.path, entry.status, entry.response_body,
                                   url=entry.url, handler=entry.operation)
    return violations


def _response_key(operation: Operation, status: int) -> str | None:
    """The declared response an answer of ``status`` is held to: its own, its range's, the default, or
    what an undeclared-status exception names (a declared status, or a ``#/`` location in the file)."""
    declared = {s.upper(): s for s in operation.statuses}
    for key in (str(status), f"{str(status)[0]}XX", "DEFAULT"):
        if key in declared:
            return declared[key]
    for entry in exceptions():
        if entry.kind == "undeclared status" and entry.covers(operation, status):
            if not entry.validate_as.startswith("#/") and entry.validate_as not in operation.statuses:
                raise ContractError(f"exception for {operation.name}: validate_as {entry.validate_as} is not a "
                                    f"response it declares ({', '.join(operation.statuses)})")
            return entry.validate_as
    return None


def _schema_pointer(found: Contract, operation: Operation, key: str) -> str | None:
    """JSON pointer to the schema of the operation's ``key`` response, None when it declares no body."""
    schema_file = found.file(operation.source)
    document = schema_file.document
    if key.startswith("#/components/schemas/") or key.startswith("#/definitions/"):
        return key[1:]
    response_pointer = key[1:] if key.startswith("#/") else f"{operation.pointer}/responses/{key}"
    response = _resolve(document, response_pointer)
    while "$ref" in response:   # OpenAPI 3 may name a shared response (#/components/responses/...)
        response_pointer = _local(response["$ref"], operation.source)
        response = _resolve(document, response_pointer)
    if schema_file.dialect == "swagger2":
        return f"{response_pointer}/schema" if "schema" in response else None
    content = response.get("content") or {}
    media = next((m for m in content if m.split(";")[0].strip() == "application/json"), None) or next(
        (m for m in content if "json" in m), None)
    if media is None or "schema" not in content[media]:
        return None
    return f"{response_pointer}/content/{media.replace('~', '~0').replace('/', '~1')}/schema"


def _local(ref: str, source: str) -> str:
    if not ref.startswith("#"):
        raise ContractError(f"{source}: only references inside the file are supported, not {ref!r}")
    return ref[1:]


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.lstrip("/").split("/") if pointer else ():
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _schema_location(document: Any, pointer: str, schema_path: Iterable[Any]) -> str:
    """Where in the vendored file the failing keyword is. The validator's path names no $ref it followed,
    so each is followed here: in an OpenAPI 3.0 (and Swagger) schema a $ref replaces its whole object."""
    location, node = pointer, _resolve(document, pointer)
    for step in schema_path:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            location = _local(node["$ref"], "")
            node = _resolve(document, location)
        location += f"/{step}"
        try:
            node = node[int(step)] if isinstance(node, list) else node[step]
        except (KeyError, IndexError, TypeError, ValueError):
            node = None
    return f"#{location}"


@cache
def _registry(source: str) -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    platform = source.split("/", 1)[0]
    document = contract(platform).file(source).document
    return Registry().with_resource(_uri(source), Resource(contents=document, specification=DRAFT4))


def _uri(source: str) -> str:
    return f"urn:refund-harness:contracts:{source}"


@cache
def _validator_class() -> Any:
    """OpenAPI 3.0's read validator, with string enums looked up in a set: some vendors' currency and error code
    enums hold hundreds of values, and jsonschema compares an instance with each in turn."""
    from jsonschema import validators
    from openapi_schema_validator import OAS30ReadValidator

    compare_each = OAS30ReadValidator.VALIDATORS["enum"]
    sets: dict[int, tuple[list[Any], frozenset[str] | None]] = {}

    def enum(validator: Any, enums: Any, instance: Any, schema: Any) -> Any:
        kept = sets.get(id(enums))
        if kept is None or kept[0] is not enums:
            strings = frozenset(enums) if isinstance(enums, list) and all(isinstance(e, str) for e in enums) else None
            kept = sets[id(enums)] = (enums, strings)
        if isinstance(instance, str) and kept[1] is not None and instance in kept[1]:
            return
        yield from compare_each(validator, enums, instance, schema)   # the failure, worded as jsonschema words it

    return validators.extend(OAS30ReadValidator, {"enum": enum})


@cache
def _validator(source: str, pointer: str) -> Any:
    from openapi_schema_validator import oas30_format_checker

    return _validator_class()({"$ref": f"{_uri(source)}#{pointer}"}, registry=_registry(source),
                              format_checker=oas30_format_checker)
