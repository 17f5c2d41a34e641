"""The connector protocol v1: the seam (``harness.seam.ConnectorUnderTest``) as JSON over HTTP, so a
connector written in any language, running as its own process, can be certified.

This module is the one source of the protocol: the harness's client (``harness.connectors.remote``),
the Python server (``harness.connectors.protocol_server``) and the OpenAPI description
(``docs/connector-protocol.openapi.json``, written by ``python -m harness.connectors.protocol``) all
read ``OPERATIONS``. docs/connector-protocol.md is the guide.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.seam import PREREQUISITES

VERSION = "v1"
NOW_HEADER = "X-Harness-Now"          # the scenario's "now" (ISO-8601 UTC) on every call
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "connector-protocol.openapi.json"

# the typed refusals, by the seam exception each maps onto
ERROR_TYPES = ("activation_refused", "order_sync_failed", "operation_refused")

_STR = {"type": "string"}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
          "description": "a decimal amount as a string, never a JSON number (no binary floats)"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "NetSuiteAccess": {"type": "object", "required": ["account_id", "base_url", "consumer_key", "consumer_secret",
                                                       "token_id", "token_secret"],
                       "properties": {"account_id": {"type": "string", "description": "the OAuth realm, e.g. 1234567_SB1"},
                                      "base_url": {"type": "string", "description": "https://<account>.suitetalk.api.netsuite.com"},
                                      "consumer_key": _STR, "consumer_secret": _STR, "token_id": _STR, "token_secret": _STR}},
    "Hosts": {"type": "object", "additionalProperties": {"type": "string"},
              "description": "real hostname -> the loopback base URL serving it (http://127.0.0.1:PORT). Send a "
                             "request for https://<host>/path to <base URL>/path with the header Host: <host> and "
                             "X-Forwarded-Proto: https (sign the original https URL)."},
    "ScenarioStart": {"type": "object", "required": ["tenant", "seed", "netsuite", "webhook_base_url", "hosts"],
                      "properties": {
                          "tenant": {"type": "string", "description": "whose stored state (ledger) this instance "
                                     "uses: instances with the same tenant share it, as two workers or a restarted "
                                     "process of one connector would"},
                          "seed": {"type": "integer", "description": "for anything the connector randomises"},
                          "netsuite": {"$ref": "#/components/schemas/NetSuiteAccess"},
                          "webhook_base_url": {"type": "string", "description": "the harness's relay, for a "
                                               "connector without a receiver of its own: storefronts told to deliver "
                                               "to <this>/webhooks/<platform> have their deliveries relayed to POST "
                                               "/v1/scenarios/{id}/webhooks/{platform}"},
                          "hosts": {"$ref": "#/components/schemas/Hosts"}}},
    "ScenarioStarted": {"type": "object", "required": ["id"], "properties": {
        "id": _STR,
        "serves": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "the connector's own webhook receiver: hostname -> the loopback base URL serving "
                                  "it (http://127.0.0.1:PORT). Register subscriptions at https://<hostname>/...; the "
                                  "storefronts deliver there, sent to the base URL with the header Host: <hostname> "
                                  "and X-Forwarded-Proto: https, signed over the https URL as the vendor signs."}}},
    "Claim": {"type": "object", "required": ["directions"],
              "properties": {"directions": {"type": "object", "additionalProperties": {
                                 "type": "array", "items": {"type": "string", "enum": ["to_netsuite", "from_netsuite"]}},
                                 "description": "platform registry name -> claimed directions"},
                             "not_offered": {"type": "array", "items": _STR,
                                             "description": "optional behaviours not offered, e.g. refund_webhooks"}}},
    "AccountSetup": {"type": "object", "properties": {
        "generic_refund_item_id": {"type": "string", "nullable": True},
        "shipping_item_id": {"type": "string", "nullable": True},
        "payment_method_map": {"type": "object", "additionalProperties": _STR},
        "refund_gift_cards_as_store_credit": {"type": "boolean"}}},
    "NewAccount": {"type": "object", "required": ["name", "platform", "store", "credentials", "setup"],
                   "properties": {"name": _STR, "platform": _STR, "store": _STR,
                                  "credentials": {"type": "object", "additionalProperties": _STR},
                                  "setup": {"$ref": "#/components/schemas/AccountSetup"}}},
    "AccountCreated": {"type": "object", "required": ["account_id"], "properties": {"account_id": _STR}},
    "SalesOrder": {"type": "object", "required": ["sales_order_id"], "properties": {"sales_order_id": _STR}},
    "Direction": {"type": "object", "required": ["direction"],
                  "properties": {"direction": {"type": "string", "enum": ["to_netsuite", "from_netsuite", "off"]}}},
    "Refund": {"type": "object", "required": ["id", "account_id", "order_id", "source_id", "direction", "status"],
               "properties": {"id": _STR, "account_id": _STR, "order_id": _STR, "source_id": _STR,
                              "direction": {"type": "string", "enum": ["to_netsuite", "from_netsuite"]},
                              "status": {"type": "string", "enum": ["retrieved", "posted", "error", "canceled"]},
                              "error": {"type": "string", "nullable": True},
                              "target_id": {"type": "string", "nullable": True},
                              "currency": {"type": "string", "nullable": True},
                              "total": {**_MONEY, "nullable": True}}},
    "Refunds": {"type": "object", "required": ["refunds"],
                "properties": {"refunds": {"type": "array", "items": {"$ref": "#/components/schemas/Refund"}}}},
    "RunReport": {"type": "object", "required": ["posted", "errors", "pending", "skipped"],
                  "description": "what one scheduled run did, optional: answer 204 instead to report nothing (the "
                                 "run's counts are then not checked, and the certification says so)",
                  "properties": {
                      "posted": {"type": "integer", "minimum": 0, "description": "refunds this run posted"},
                      "errors": {"type": "integer", "minimum": 0, "description": "refunds this run left in error, "
                                 "plus every failure of the run itself (a listing that failed)"},
                      "pending": {"type": "integer", "minimum": 0, "description": "refunds this run tried and "
                                  "left open, waiting for money still settling"},
                      "skipped": {"type": "integer", "minimum": 0, "description": "refunds left alone because "
                                  "another worker held them"},
                      "messages": {"type": "array", "items": _STR, "description": "one line per error, for people"}}},
    "Health": {"type": "object", "required": ["protocol"], "properties": {"protocol": {"type": "string", "enum": [VERSION]}}},
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["type", "message"],
        "properties": {"type": {"type": "string", "enum": list(ERROR_TYPES)}, "message": _STR,
                       "missing": {"type": "array", "items": {"type": "string", "enum": list(PREREQUISITES)},
                                   "description": "required with activation_refused: every unmet prerequisite, "
                                                  "by name (docs/connector-protocol.md, \"Errors\")"}}}}},
}


@dataclass(frozen=True)
class Operation:
    seam_method: str            # the ConnectorUnderTest method it carries ("" for the protocol's own)
    method: str
    path: str                   # under /v1; {scenario}, {account}, {order}, {refund}, {platform}
    summary: str
    request: str | None = None  # a schema name
    response: str | None = None  # None: 204 No Content
    refusals: tuple[str, ...] = ()
    status: int = 200
    extra: dict[str, Any] = field(default_factory=dict)
    response_optional: bool = False   # 204 No Content is an answer too


_S = "/scenarios/{scenario}"
_A = _S + "/accounts/{account}"
_R = _S + "/refunds/{refund}"
OPERATIONS: tuple[Operation, ...] = (
    Operation("", "GET", "/health", "Ready to serve: the harness polls this after starting the process.",
              response="Health"),
    Operation("", "POST", "/scenarios", "Start an instance of the connector for one scenario (one tenant).",
              request="ScenarioStart", response="ScenarioStarted", status=201),
    Operation("close", "DELETE", _S, "End the instance: release what it holds (the tenant's ledger may be kept "
              "for a later instance of the same tenant)."),
    Operation("", "PUT", _S + "/hosts", "Where hosts are served now: sent when a storefront simulator starts "
              "after the scenario did. Replaces the map.", request="Hosts"),
    Operation("certification_claim", "GET", _S + "/claim", "What the connector claims.", response="Claim"),
    Operation("add_account", "POST", _S + "/accounts", "A connector account for one store.",
              request="NewAccount", response="AccountCreated", status=201, refusals=("operation_refused",)),
    Operation("account_setup", "GET", _A + "/setup", "The account's setup.", response="AccountSetup"),
    Operation("change_setup", "PUT", _A + "/setup", "Change the account's setup.", request="AccountSetup"),
    Operation("activate_order_sync", "POST", _A + "/order-sync", "Order sync on."),
    Operation("sync_order", "POST", _A + "/orders/{order}/sync", "Sync one storefront order to NetSuite.",
              response="SalesOrder", refusals=("order_sync_failed",)),
    Operation("enable_refund_sync", "POST", _A + "/refund-sync", "The Refund Sync button of one direction.",
              request="Direction", refusals=("activation_refused",)),
    Operation("disable_refund_sync", "DELETE", _A + "/refund-sync", "Refund sync off."),
    Operation("direction", "GET", _A + "/direction", "The account's current direction.", response="Direction"),
    Operation("retrieve_refunds", "POST", _A + "/orders/{order}/retrieve-refunds",
              "The manual Retrieve Refund/Return of one order; the ledger rows it has.",
              response="Refunds", refusals=("operation_refused",)),
    Operation("refunds", "GET", _A + "/refunds", "The account's ledger rows, oldest first.", response="Refunds"),
    Operation("post", "POST", _R + "/post", "The manual Post.", response="Refund", refusals=("operation_refused",)),
    Operation("cancel", "POST", _R + "/cancel", "Cancel a ledger row.", response="Refund",
              refusals=("operation_refused",)),
    Operation("uncancel", "POST", _R + "/uncancel", "Undo a cancel.", response="Refund",
              refusals=("operation_refused",)),
    Operation("delete", "DELETE", _R, "Delete a ledger row.", refusals=("operation_refused",)),
    Operation("run_scheduled", "POST", _S + "/scheduled-runs",
              "Everything the connector does on its schedule, for every account that is due; what the run did "
              "(200), or nothing (204).", response="RunReport", response_optional=True),
    Operation("handle_webhook", "POST", _S + "/webhooks/{platform}",
              "A storefront's webhook delivery, relayed as it came: the same body and headers (Host among them); "
              "the connector's status, headers and body go back to the storefront.",
              extra={"raw": True}),
)


def operation(seam_method: str) -> Operation:
    return next(op for op in OPERATIONS if op.seam_method == seam_method)


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.0 description of ``OPERATIONS``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        params = [{"name": name, "in": "path", "required": True, "schema": _STR}
                  for name in ("scenario", "account", "order", "refund", "platform") if "{" + name + "}" in op.path]
        if op.path != "/health" and op.path != "/scenarios":
            params.append({"name": NOW_HEADER, "in": "header", "required": False, "schema": _STR,
                           "description": "the scenario's now, ISO-8601 UTC (sent on every call)"})
        entry: dict[str, Any] = {"operationId": op.seam_method or _protocol_id(op), "summary": op.summary}
        if op.seam_method:
            entry["description"] = f"Carries the seam method {op.seam_method}."
        if params:
            entry["parameters"] = params
        if op.extra.get("raw"):
            entry["requestBody"] = {"required": True, "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
            responses: dict[str, Any] = {"default": {"description": "the connector's answer to the storefront, relayed as it is"}}
        else:
            if op.request:
                entry["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{op.request}"}}}}
            ok = ({"description": "done", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response}"}}}}
                  if op.response else {"description": "done"})
            responses = {str(op.status if op.response else 204): ok}
            if op.response_optional:
                responses["204"] = {"description": "done, and nothing said of it"}
            if op.refusals:
                responses["409"] = {"description": "refused: error.type is one of " + ", ".join(op.refusals),
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        entry["responses"] = responses
        paths.setdefault(f"/{VERSION}{op.path}", {})[op.method.lower()] = entry
    return {"openapi": "3.0.3",
            "info": {"title": "refund-harness connector protocol", "version": VERSION,
                     "description": "The connector seam as JSON over HTTP: see docs/connector-protocol.md."},
            "paths": paths, "components": {"schemas": SCHEMAS}}


def _protocol_id(op: Operation) -> str:
    return {"/health": "health", "/scenarios": "start_scenario", _S + "/hosts": "set_hosts"}[op.path]


def render() -> str:
    return json.dumps(openapi(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":  # python -m harness.connectors.protocol: rewrite the committed description
    OPENAPI_PATH.write_text(render())
    sys.stdout.write(f"wrote {OPENAPI_PATH}\n")
