"""The vendors' published API schemas the simulators are held to, read from ``contracts/``.

Each ``contracts/<platform>/contract.toml`` lists that platform's vendored OpenAPI (3.x) or Swagger (2.0)
files, where each file's paths sit under the API host, and each file's git blob id at the commit its
README names. From them this module knows every operation the vendor publishes (method, path template,
operationId, declared responses), which of them a simulator's route table models, and which operation a
request the simulator answered belongs to. Validating answers against the response schemas is
``simulators.contract_check``'s job; the coverage table is ``simulators.coverage``'s.

The platform is always a parameter: nothing here knows one vendor from another.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterable

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
EXCEPTIONS_FILE = CONTRACTS_DIR / "exceptions.toml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAM = re.compile(r"\{([^}/]+)\}")
# a route regex's named group (the simulators write each path parameter as one), e.g. (?P<order_id>[^/]+)
_ROUTE_GROUP = re.compile(r"\(\?P<\w+>\[\^/\]\+\)")


class ContractError(ValueError):
    """A contract manifest or vendored file that cannot be used as it is; the message names the problem."""


@dataclass(frozen=True)
class Operation:
    """One operation a vendor publishes, with its path as the simulator's host serves it."""

    platform: str
    operation_id: str
    method: str                     # upper case
    template: str                   # the full path, parameters in braces: /v2/orders/{order_id}
    source: str                     # the vendored file it comes from, relative to contracts/
    pointer: str                    # JSON pointer to the operation object inside that file
    tag: str                        # the vendor's first tag for it (else the file's name)
    statuses: tuple[str, ...]       # the response keys it declares ("200", "4XX", "default")

    @property
    def name(self) -> str:
        return f"{self.operation_id} ({self.method} {self.template})"

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and _template_regex(self.template).fullmatch(path) is not None

    @property
    def literal_length(self) -> int:
        """How much of the template is fixed text: of two templates matching a path, the longer wins
        (``/v2/orders/search`` over ``/v2/orders/{order_id}``), as every router does."""
        return len(_PARAM.sub("", self.template))


@dataclass(frozen=True)
class SchemaFile:
    path: str                       # relative to contracts/
    base_path: str
    blob: str
    document: dict[str, Any] = field(repr=False, compare=False)

    @property
    def dialect(self) -> str:
        return "swagger2" if str(self.document.get("swagger", "")).startswith("2") else "openapi3"


@dataclass(frozen=True)
class Contract:
    platform: str
    files: tuple[SchemaFile, ...]
    operations: tuple[Operation, ...]

    def file(self, source: str) -> SchemaFile:
        return next(f for f in self.files if f.path == source)

    def operation_at(self, method: str, path: str, among: Iterable[Operation] | None = None) -> Operation | None:
        """The operation a request for ``method path`` is for (the most literal template that matches)."""
        found = [op for op in (self.operations if among is None else among) if op.matches(method, path)]
        return max(found, key=lambda op: op.literal_length) if found else None


def git_blob_id(content: bytes) -> str:
    """The id git gives a file with this content (``git hash-object``): what a README's commit holds."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def platforms_with_contracts() -> list[str]:
    """Every platform with a ``contracts/<platform>/contract.toml``, in name order."""
    return sorted(p.parent.name for p in CONTRACTS_DIR.glob("*/contract.toml"))


@cache
def contract(platform: str) -> Contract:
    """The vendored contract of ``platform``; refused by name when it has none or it cannot be read."""
    manifest_path = CONTRACTS_DIR / platform / "contract.toml"
    if not manifest_path.is_file():
        raise ContractError(f"no vendored contract for {platform!r}: {manifest_path} does not exist "
                            f"(contracts exist for {', '.join(platforms_with_contracts()) or 'no platform'})")
    manifest = tomllib.loads(manifest_path.read_text())
    files, operations = [], []
    for entry in manifest.get("schema", []):
        try:
            name, base_path, blob = entry["file"], entry["base_path"], entry["blob"]
        except KeyError as missing:
            raise ContractError(f"{manifest_path}: a [[schema]] entry lacks {missing}") from None
        raw = (CONTRACTS_DIR / platform / name).read_bytes()
        document = _parse(raw, name)
        schema_file = SchemaFile(f"{platform}/{name}", base_path.rstrip("/"), blob, document)
        files.append(schema_file)
        operations += _operations(platform, schema_file)
    if not files:
        raise ContractError(f"{manifest_path} lists no [[schema]] file")
    return Contract(platform, tuple(files), tuple(sorted(operations, key=lambda op: (op.template, op.method))))


def _parse(raw: bytes, name: str) -> dict[str, Any]:
    if name.endswith((".yml", ".yaml")):
        import yaml   # only the YAML-published contracts need it

        # libyaml's loader where the wheel has it: the pure-Python one takes seconds over these files
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        # as the JSON it stands for: YAML's dates (in examples) become strings, integer keys ("200") strings
        return json.loads(json.dumps(yaml.load(raw, Loader=loader), default=str))
    return json.loads(raw)


def _operations(platform: str, schema_file: SchemaFile) -> list[Operation]:
    found = []
    for path, item in schema_file.document.get("paths", {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            operation_id = op.get("operationId") or f"{method.upper()} {path}"
            found.append(Operation(
                platform=platform, operation_id=operation_id, method=method.upper(),
                template=schema_file.base_path + path, source=schema_file.path,
                pointer=f"/paths/{_escape(path)}/{method}", tag=(op.get("tags") or [Path(schema_file.path).stem])[0],
                statuses=tuple(str(s) for s in op.get("responses", {}))))
    return found


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    # split alternates literal text and parameter names
    return re.compile("".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(parts)))


# --- the simulators' route tables ------------------------------------------------------------------

def simulator_class(platform: str) -> type:
    """The simulator of ``platform`` (the Simulator subclass ``simulators.<platform>`` exports)."""
    from simulators.core.base import Simulator

    module = importlib.import_module(f"simulators.{platform}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Simulator) and getattr(value, "platform", None) == platform:
            return value
    raise ContractError(f"simulators.{platform} exports no Simulator whose platform is {platform!r}")


def route_shape(regex: str) -> str | None:
    """A route regex as a path shape with ``{}`` for each parameter, or None when the regex is more than
    literal text and ``(?P<name>[^/]+)`` groups (then no published template can be said to equal it)."""
    shape = _ROUTE_GROUP.sub("{}", regex)
    if re.search(r"(?<!\\)[()\[\]?*+|^$]", shape.replace("{}", "")):
        return None
    return re.sub(r"\\(.)", r"\1", shape)


def template_shape(template: str) -> str:
    return _PARAM.sub("{}", template)


@dataclass(frozen=True)
class RouteModel:
    method: str
    regex: str
    handler: str
    operation: Operation | None     # the published operation this route serves, None when none does


def modelled(platform: str) -> list[RouteModel]:
    """Each route of the platform's simulator and the published operation it serves: the one whose
    method and path shape (parameters aside) equal the route's."""
    by_shape = {(op.method, template_shape(op.template)): op for op in contract(platform).operations}
    found = []
    for route in simulator_class(platform).routes:
        shape = route_shape(route.pattern.pattern)
        found.append(RouteModel(route.method, route.pattern.pattern, route.handler_name,
                                by_shape.get((route.method, shape)) if shape is not None else None))
    return found


@cache
def operations_of_handlers(platform: str) -> dict[str, tuple[Operation, ...]]:
    """handler name -> the published operations its routes serve (what a journal entry names)."""
    table: dict[str, list[Operation]] = {}
    for model in modelled(platform):
        if model.operation is not None:
            table.setdefault(model.handler, []).append(model.operation)
    return {handler: tuple(ops) for handler, ops in table.items()}


# --- exceptions --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContractException:
    """A place where the simulator follows the vendor's documented behaviour rather than its schema."""

    platform: str
    operations: tuple[str, ...]     # operationIds, or ("*",) for every operation of the platform
    statuses: tuple[str, ...]       # the answers it covers: "400", "4XX", "5XX" or "*"
    kind: str                       # "undeclared status" or "schema"
    what: str
    why: str
    evidence: str
    # undeclared status: what the body is held to instead, a status the operation declares ("200") or a
    # response or schema of the operation's own file ("#/components/responses/404_Resp")
    validate_as: str = ""
    schema_at: str = ""             # schema: the schema location (prefix) whose failures it accepts
    body_at: str = ""               # schema: only failures at a body path this regex finds ("" = anywhere)
    null_only: bool = False         # schema: only where the body holds null

    def excuses(self, operation: Operation, status: int, schema_at: str, body_at: str, value: Any) -> bool:
        """Whether this (schema) exception accepts a failure of ``schema_at`` at ``body_at``."""
        return (self.kind == "schema" and self.covers(operation, status) and schema_at.startswith(self.schema_at)
                and (not self.body_at or re.search(self.body_at, body_at) is not None)
                and (not self.null_only or value is None))

    def covers(self, operation: Operation, status: int) -> bool:
        return (operation.platform == self.platform
                and ("*" in self.operations or operation.operation_id in self.operations)
                and any(_status_matches(s, status) for s in self.statuses))


def _status_matches(declared: str, status: int) -> bool:
    declared = declared.upper()
    return declared in ("*", str(status)) or (len(declared) == 3 and declared.endswith("XX")
                                               and declared[0] == str(status)[0])


KINDS = ("undeclared status", "schema")


@cache
def exceptions() -> tuple[ContractException, ...]:
    """Every recorded exception of the OpenAPI contracts (``[[<platform>.exception]]`` in
    ``contracts/exceptions.toml`` for each platform with a ``contract.toml``; other platforms' tables are
    their own checkers'), checked: each names operations its contract publishes and a kind, and says
    what differs, why and on what evidence."""
    data = tomllib.loads(EXCEPTIONS_FILE.read_text()) if EXCEPTIONS_FILE.is_file() else {}
    found = []
    for platform in platforms_with_contracts():
        found += _platform_exceptions(platform, data.get(platform, {}).get("exception", []))
    return tuple(found)


def _platform_exceptions(platform: str, entries: list[dict[str, Any]]) -> list[ContractException]:
    found = []
    for number, raw in enumerate(entries, start=1):
        where = f"{EXCEPTIONS_FILE.name} {platform} exception {number}"
        missing = [k for k in ("operations", "statuses", "kind", "what", "why", "evidence") if not raw.get(k)]
        if missing:
            raise ContractError(f"{where} lacks {', '.join(missing)}")
        entry = ContractException(
            platform=platform, operations=tuple(raw["operations"]), statuses=tuple(raw["statuses"]),
            kind=raw["kind"], what=raw["what"].strip(), why=raw["why"].strip(), evidence=raw["evidence"].strip(),
            validate_as=str(raw.get("validate_as", "")), schema_at=raw.get("schema_at", ""),
            body_at=raw.get("body_at", ""), null_only=bool(raw.get("null_only", False)))
        if entry.kind not in KINDS:
            raise ContractError(f"{where}: kind {entry.kind!r} is not one of {', '.join(KINDS)}")
        if entry.kind == "undeclared status" and not entry.validate_as:
            raise ContractError(f"{where}: an undeclared status needs validate_as (a declared status, or a response "
                                f"or schema of the operation's file such as #/components/responses/...)")
        if entry.kind == "schema" and not entry.schema_at.startswith("#/"):
            raise ContractError(f"{where}: a schema exception needs schema_at, a location such as #/components/...")
        published = {op.operation_id for op in contract(entry.platform).operations}
        unknown = [o for o in entry.operations if o != "*" and o not in published]
        if unknown:
            raise ContractError(f"{where}: {entry.platform}'s contract publishes no operation {', '.join(unknown)}")
        found.append(entry)
    return found
