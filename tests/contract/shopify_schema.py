"""Shopify's published Admin GraphQL schema (contracts/shopify/) and the checks that hold the simulator's
schema, the connector's query documents and the simulator's answers to it.

Each check returns differences as text naming where (``Type.field(arg)``) and both sides, so a failing
test says what to fix. The recorded exceptions are the ``[shopify]`` section of contracts/exceptions.toml.
"""
from __future__ import annotations

import gzip
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Callable

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLEnumType, GraphQLError,
    GraphQLInputObjectType, GraphQLInterfaceType, GraphQLList, GraphQLNamedType, GraphQLNonNull, GraphQLObjectType,
    GraphQLScalarType, GraphQLSchema, GraphQLUnionType, InlineFragmentNode, SelectionSetNode, build_client_schema,
    get_operation_ast, parse, specified_rules, validate,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import Undefined
from graphql.validation import NoDeprecatedCustomRule

ROOT = Path(__file__).resolve().parents[2]
API_VERSION = "2024-10"
SCHEMA_FILE = ROOT / "contracts" / "shopify" / f"admin_schema_{API_VERSION}.json.gz"
EXCEPTIONS_FILE = ROOT / "contracts" / "exceptions.toml"


@cache
def shopify_schema() -> GraphQLSchema:
    """Shopify's Admin GraphQL schema of API version 2024-10, built from its introspection result."""
    introspection = json.loads(gzip.decompress(SCHEMA_FILE.read_bytes()))
    # assume_valid: graphql-core's schema validator refuses Shopify's schema as published (some fields
    # are deprecated on implementations and not on their interface, a rule newer than the schema);
    # documents are still validated against it with every rule
    return build_client_schema(introspection["data"], assume_valid=True)


# --- exceptions ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordedException:
    at: str      # what the exception covers: "Type", "Type.field", "Type.field(arg)" or "Type.VALUE"
    kind: str    # which check it excuses (KINDS)
    what: str
    why: str


KINDS = ("schema", "deprecated")


@cache
def exceptions() -> tuple[RecordedException, ...]:
    """The ``[[shopify.exception]]`` entries of contracts/exceptions.toml, each checked for its keys."""
    data = tomllib.loads(EXCEPTIONS_FILE.read_text()) if EXCEPTIONS_FILE.is_file() else {}
    found = []
    for number, raw in enumerate(data.get("shopify", {}).get("exception", []), start=1):
        missing = [k for k in ("at", "kind", "what", "why") if not str(raw.get(k, "")).strip()]
        if missing:
            raise ValueError(f"{EXCEPTIONS_FILE.name} [[shopify.exception]] {number} lacks {', '.join(missing)}")
        if raw["kind"] not in KINDS:
            raise ValueError(f"{EXCEPTIONS_FILE.name} [[shopify.exception]] {number}: kind {raw['kind']!r} "
                             f"is not one of {', '.join(KINDS)}")
        found.append(RecordedException(raw["at"], raw["kind"], raw["what"].strip(), raw["why"].strip()))
    return tuple(found)


def excused(kind: str) -> set[str]:
    """Where the recorded exceptions of that kind apply (their ``at``)."""
    return {e.at for e in exceptions() if e.kind == kind}


# --- the simulator's schema against Shopify's -----------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    at: str
    problem: str

    def __str__(self) -> str:
        return f"{self.at}: {self.problem}"


@dataclass
class Walked:
    """How much of the simulator's schema a comparison looked at."""
    types: int = 0
    fields: int = 0
    arguments: int = 0
    enum_values: int = 0
    input_fields: int = 0


def _kind(named: GraphQLNamedType) -> str:
    return {GraphQLObjectType: "object", GraphQLInterfaceType: "interface", GraphQLUnionType: "union",
            GraphQLEnumType: "enum", GraphQLInputObjectType: "input object",
            GraphQLScalarType: "scalar"}[type(named)]


def _default(value: Any) -> Any:
    return None if value is Undefined else value


def _input_values(at: Callable[[str], str], noun: str, ours: dict[str, Any], theirs: dict[str, Any]) -> list[Difference]:
    """The arguments of a field, or the fields of an input type (``noun``): each the simulator takes must be
    Shopify's, with its type, default and deprecation; each Shopify requires (non-null, no default) the
    simulator must take too."""
    found: list[Difference] = []
    for name, value in ours.items():
        their_value = theirs.get(name)
        if their_value is None:
            found.append(Difference(at(name), f"the simulator takes {value.type}; Shopify has no such {noun}"))
            continue
        if str(value.type) != str(their_value.type):
            found.append(Difference(at(name), f"the simulator takes {value.type}, Shopify {their_value.type}"))
        elif _default(value.default_value) != _default(their_value.default_value):
            found.append(Difference(at(name), f"the simulator defaults to {_default(value.default_value)!r}, "
                                              f"Shopify to {_default(their_value.default_value)!r}"))
        found += _deprecation(at(name), value, their_value)
    for name, their_value in theirs.items():
        if (name not in ours and isinstance(their_value.type, GraphQLNonNull)
                and _default(their_value.default_value) is None):
            found.append(Difference(at(name), f"Shopify requires {their_value.type}; the simulator does not declare it"))
    return found


def _deprecation(at: str, ours: Any, theirs: Any) -> list[Difference]:
    """Introspection tells a client what is deprecated: the simulator must say what Shopify says."""
    if ours.deprecation_reason == theirs.deprecation_reason:
        return []
    def said(reason: str | None) -> str:
        return "not deprecated" if reason is None else f"deprecated ({reason!r})"
    return [Difference(at, f"the simulator declares it {said(ours.deprecation_reason)}, "
                           f"Shopify {said(theirs.deprecation_reason)}")]


def schema_differences(simulator: GraphQLSchema, shopify: GraphQLSchema,
                       walked: Walked | None = None) -> list[Difference]:
    """Everything the simulator's schema declares that Shopify's does not, or declares otherwise: each
    type (by name and kind), field, argument, input field and enum value, with the same type including
    nullability and list wrapping, the same defaults, the same deprecations, the same interfaces; and whatever Shopify
    requires (arguments, input fields without a default) the simulator must declare too, or a document
    valid on the simulator would be refused by Shopify."""
    walked = walked if walked is not None else Walked()
    found: list[Difference] = []
    for name, ours in sorted(simulator.type_map.items()):
        if name.startswith("__"):
            continue
        walked.types += 1
        theirs = shopify.type_map.get(name)
        if theirs is None:
            found.append(Difference(name, f"the simulator declares {_kind(ours)} {name}; Shopify {API_VERSION} "
                                          f"has no type of that name"))
            continue
        if type(theirs) is not type(ours):
            found.append(Difference(name, f"a different kind: the simulator declares {_kind(ours)} {name}, "
                                          f"Shopify {_kind(theirs)} {name}"))
            continue
        if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
            found += _interfaces(name, ours, theirs, simulator)
            for field_name, field in ours.fields.items():
                walked.fields += 1
                at = f"{name}.{field_name}"
                their_field = theirs.fields.get(field_name)
                if their_field is None:
                    found.append(Difference(at, f"the simulator declares {field.type}; Shopify has no such field"))
                    continue
                if str(field.type) != str(their_field.type):
                    found.append(Difference(at, f"the simulator declares {field.type}, Shopify {their_field.type}"))
                found += _deprecation(at, field, their_field)
                walked.arguments += len(field.args)
                found += _input_values(lambda arg_name: f"{at}({arg_name})", "argument", field.args, their_field.args)
        elif isinstance(ours, GraphQLInputObjectType):
            walked.input_fields += len(ours.fields)
            found += _input_values(lambda field_name: f"{name}.{field_name}", "input field", ours.fields, theirs.fields)
        elif isinstance(ours, GraphQLEnumType):
            for value in ours.values:
                walked.enum_values += 1
                if value not in theirs.values:
                    found.append(Difference(f"{name}.{value}", f"the simulator's enum {name} has {value}; "
                                                               f"Shopify's has not (it has {', '.join(theirs.values)})"))
                else:
                    found += _deprecation(f"{name}.{value}", ours.values[value], theirs.values[value])
        elif isinstance(ours, GraphQLUnionType):
            extra = {t.name for t in ours.types} - {t.name for t in theirs.types}
            if extra:
                found.append(Difference(name, f"the simulator's union has {', '.join(sorted(extra))}; Shopify's not"))
    return found


def _interfaces(name: str, ours: GraphQLObjectType | GraphQLInterfaceType,
                theirs: GraphQLObjectType | GraphQLInterfaceType, simulator: GraphQLSchema) -> list[Difference]:
    """The same implementations among the interfaces the simulator models: an interface the simulator's
    type implements must be one Shopify's implements, and one Shopify's implements that the simulator
    declares must be implemented (else a fragment on it is refused by one side only)."""
    mine = {i.name for i in ours.interfaces}
    shopifys = {i.name for i in theirs.interfaces}
    found = [Difference(name, f"the simulator's {name} implements {i}; Shopify's does not (it implements "
                              f"{', '.join(sorted(shopifys)) or 'nothing'})") for i in sorted(mine - shopifys)]
    found += [Difference(name, f"Shopify's {name} implements {i}, which the simulator declares; the simulator's "
                               f"{name} does not implement it") for i in sorted(shopifys - mine)
              if isinstance(simulator.type_map.get(i), GraphQLInterfaceType)]
    return found


# --- documents (what a client sends) ----------------------------------------------------------------------

def document_errors(query: str, variables: dict[str, Any] | None = None,
                    operation_name: str | None = None) -> list[str]:
    """Why Shopify's schema would refuse this document (and, given, its variables): parse, validation
    (every rule graphql-core implements) and variable coercion into Shopify's input types."""
    schema = shopify_schema()
    document = _parsed(query)
    errors = list(_validation_errors(query))
    if errors or variables is None:
        return errors
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return [f"no operation {operation_name!r} in the document"]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []


_DEPRECATED = re.compile(r"The (?:field|argument|input field|enum value) '?(?P<at>[^' ]+?)(?::\))?'? is deprecated\.")


def deprecated_uses(query: str) -> dict[str, str]:
    """What a document uses that Shopify 2024-10 marks deprecated: ``Type.field``, ``Type.field(arg)``,
    ``Input.field`` or ``Enum.VALUE`` -> graphql-core's message with Shopify's reason."""
    uses = {}
    for error in validate(shopify_schema(), _parsed(query), [NoDeprecatedCustomRule]):
        match = _DEPRECATED.match(error.message)
        at = match["at"] if match else error.message
        uses[at + ")" if "(" in at and not at.endswith(")") else at] = error.message
    return uses


@lru_cache(maxsize=512)   # a run sends the same few documents again and again
def _parsed(query: str) -> DocumentNode:
    return parse(query)


@lru_cache(maxsize=512)
def _validation_errors(query: str) -> tuple[str, ...]:
    return tuple(e.message for e in validate(shopify_schema(), _parsed(query), specified_rules))


# --- the traffic of a run -----------------------------------------------------------------------------------

def traffic_problems(entries: list[Any]) -> list[str]:
    """What Shopify's schema says against GraphQL exchanges a simulator journaled: each request's document
    and variables must be valid against it, each answer's ``data`` shaped as its types say. Exchanges a
    fault rule touched are left out (their answers are the fault's, on purpose)."""
    problems = []
    for entry in entries:
        if entry.method != "POST" or not entry.path.endswith("/graphql.json") or entry.fault:
            continue
        try:
            request = json.loads(entry.request_body)
            query = request["query"]
        except (ValueError, KeyError, TypeError):
            continue   # not a GraphQL request; the simulator answered it with its own 400
        if not isinstance(query, str):
            continue
        operation = request.get("operationName")
        where = f"POST {entry.path} ({operation or 'anonymous operation'})"
        try:
            parse(query)
        except GraphQLError as error:
            problems.append(f"{where}: Shopify cannot parse the document: {error.message}")
            continue
        variables = request.get("variables")
        problems += [f"{where} sent: {e}" for e in document_errors(
            query, variables if isinstance(variables, dict) else {}, operation)]
        if entry.status == 200:
            try:
                answer = json.loads(entry.response_body)
            except ValueError:
                problems.append(f"{where} answered 200 with a body that is not JSON")
                continue
            if isinstance(answer, dict) and answer.get("data") is not None:
                problems += [f"{where} answered: {e}" for e in answer_errors(query, answer["data"], operation)]
    return problems


# --- answers (what the simulator sends back) -----------------------------------------------------------------

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_DIGITS = re.compile(r"\d+")


def answer_errors(query: str, data: Any, operation_name: str | None = None) -> list[str]:
    """Where an answer's ``data`` is not what Shopify's schema says this document gets: a missing or an
    unasked key, null where Shopify's type is non-null, a list where it is not (or the reverse), an enum
    value Shopify's enum lacks, a scalar in another JSON form than Shopify serializes it. Each names the
    answer's path and Shopify's type."""
    schema = shopify_schema()
    document = _parsed(query)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return [f"no operation {operation_name!r} in the document"]
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[str] = []
    if data is not None:
        _check_object(schema, fragments, operation.selection_set, root, data, "data", errors)
    return errors


def _check_object(schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], selection_set: SelectionSetNode,
                  parent: GraphQLNamedType, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"{path}: Shopify answers an object ({parent.name}), the simulator {type(value).__name__}")
        return
    concrete = parent
    if not isinstance(parent, GraphQLObjectType) and isinstance(value.get("__typename"), str):
        concrete = schema.get_type(value["__typename"]) or parent
    fields: dict[str, FieldNode] = {}
    maybe: set[str] = set()   # keys of fragments on a type the answer does not name (an abstract parent)
    _collect(schema, fragments, selection_set, concrete, fields, maybe)
    for key, node in fields.items():
        at = f"{path}.{key}"
        if key not in value:
            if key not in maybe:
                errors.append(f"{at}: asked for, missing from the answer")
            continue
        if node.name.value == "__typename":
            if not isinstance(value[key], str) or (isinstance(concrete, GraphQLObjectType) and value[key] != concrete.name):
                errors.append(f"{at}: {value[key]!r} is not {concrete.name}")
            continue
        definition = concrete.fields.get(node.name.value) if hasattr(concrete, "fields") else None
        if definition is None:
            continue   # the document itself is invalid on Shopify's schema; document_errors says so
        _check_value(schema, fragments, node.selection_set, definition.type, value[key], at, errors)
    for key in value:
        if key not in fields:
            errors.append(f"{path}.{key}: in the answer but not asked for")


def _collect(schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], selection_set: SelectionSetNode,
             parent: GraphQLNamedType, fields: dict[str, FieldNode], maybe: set[str]) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields.setdefault((selection.alias or selection.name).value, selection)
            continue
        if isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fragment = fragments[selection.name.value]
            condition, inner = fragment.type_condition, fragment.selection_set
        else:
            continue
        target = schema.get_type(condition.name.value) if condition is not None else parent
        if target is None:
            continue
        # a fragment applies to its own type, and on an object to an interface or union the object is in
        applies = target is parent or (isinstance(parent, GraphQLObjectType)
                                       and isinstance(target, (GraphQLInterfaceType, GraphQLUnionType))
                                       and schema.is_sub_type(target, parent))
        if applies:
            _collect(schema, fragments, inner, parent, fields, maybe)
        elif not isinstance(parent, GraphQLObjectType) and isinstance(target, GraphQLObjectType):
            before = set(fields)
            _collect(schema, fragments, inner, target, fields, maybe)
            maybe |= set(fields) - before


def _check_value(schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 selection_set: SelectionSetNode | None, declared: Any, value: Any, path: str, errors: list[str]) -> None:
    shown = declared
    if isinstance(declared, GraphQLNonNull):
        if value is None:
            errors.append(f"{path}: null, where Shopify declares {declared}")
            return
        declared = declared.of_type
    if value is None:
        return
    if isinstance(declared, GraphQLList):
        if not isinstance(value, list):
            errors.append(f"{path}: Shopify answers a list ({shown}), the simulator {type(value).__name__}")
            return
        for number, item in enumerate(value):
            _check_value(schema, fragments, selection_set, declared.of_type, item, f"{path}[{number}]", errors)
        return
    if isinstance(declared, GraphQLEnumType):
        if value not in declared.values:
            errors.append(f"{path}: {value!r} is not a value of Shopify's {declared.name}")
        return
    if isinstance(declared, GraphQLScalarType):
        problem = _scalar_problem(declared.name, value)
        if problem:
            errors.append(f"{path}: {value!r} {problem} (Shopify's {declared.name})")
        return
    if selection_set is not None:
        _check_object(schema, fragments, selection_set, declared, value, path, errors)


def _scalar_problem(name: str, value: Any) -> str | None:
    """How Shopify serializes each scalar the simulator declares (the descriptions in its schema): ID,
    Decimal, Money, DateTime, URL and UnsignedInt64 as strings, the last of base-10 digits."""
    if name == "Int":
        return None if isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31 \
            else "is not a 32-bit integer"
    if name == "Float":   # common.jsonio reads a JSON number with a fraction as a Decimal
        return None if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else "is not a number"
    if name == "Boolean":
        return None if isinstance(value, bool) else "is not a boolean"
    if name in ("String", "ID", "URL"):
        return None if isinstance(value, str) else "is not a string"
    if name in ("Decimal", "Money"):
        return None if isinstance(value, str) and _DECIMAL.fullmatch(value) else "is not a decimal number in a string"
    if name == "UnsignedInt64":
        return None if isinstance(value, str) and _DIGITS.fullmatch(value) and int(value) < 2**64 \
            else "is not an unsigned 64-bit integer in a string of base-10 digits"
    if name == "DateTime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        except ValueError:
            return "is not an ISO 8601 date and time"
        return None if isinstance(value, str) else "is not an ISO 8601 date and time string"
    return None
