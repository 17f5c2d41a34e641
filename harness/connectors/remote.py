"""A connector in its own process, behind the seam: every seam call is one request of the connector
protocol (``harness.connectors.protocol``, docs/connector-protocol.md) to the connector's URL.

``remote_factory(url)`` is a seam factory: each call starts an instance (``POST /v1/scenarios``) for
the context's tenant (its work directory: a second worker or a restart shares the ledger, as on one
machine). The connector reaches the simulators over loopback sockets, so the World must serve them
there (``--transport loopback``); the context's ``hosts`` says where.
"""
from __future__ import annotations

import hashlib
import re
import urllib.parse
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

import httpx

from common.clock import isoformat
from common.hostmap import tls_context
from harness import seam
from harness.connectors.protocol import NOW_HEADER, SCHEMAS, VERSION, Operation, operation

# a scheduled run may page through many records and retry throttled writes: generous, but not forever
CALL_TIMEOUT_S = 120.0
_REFUSALS = {"activation_refused": seam.ActivationRefused, "order_sync_failed": seam.OrderSyncFailed,
             "operation_refused": seam.OperationRefused}


class RemoteConnectorFailure(RuntimeError):
    """The connector answered outside the protocol (an untyped error, a malformed body, no answer)."""


def tenant_of(context: seam.ConnectorContext) -> str:
    return hashlib.sha256(str(context.workdir.resolve()).encode()).hexdigest()[:24]


class RemoteConnector:
    def __init__(self, url: str, context: seam.ConnectorContext) -> None:
        self.url = url.rstrip("/")
        self.context = context
        self._http = httpx.Client(timeout=CALL_TIMEOUT_S, verify=tls_context())
        self._hosts_sent: dict[str, str] = dict(context.hosts)
        started = self._call("POST", "/scenarios", body={
            "tenant": tenant_of(context), "seed": context.seed, "webhook_base_url": context.webhook_base_url,
            "hosts": self._hosts_sent,
            "netsuite": {"account_id": context.netsuite.account_id, "base_url": context.netsuite.base_url,
                         "consumer_key": context.netsuite.consumer_key,
                         "consumer_secret": context.netsuite.consumer_secret,
                         "token_id": context.netsuite.token_id, "token_secret": context.netsuite.token_secret}},
            expect=("id",))
        self.scenario = _string(started, "id", "the scenario-start answer")
        serves = started.get("serves") or {}
        if not isinstance(serves, dict) or not all(isinstance(v, str) for v in serves.values()):
            raise RemoteConnectorFailure(f"the scenario-start answer's serves must map hostnames to base URLs: {serves!r}")
        # the connector's own webhook receiver: storefronts deliver to it at these hostnames
        self.served_hosts: dict[str, str] = dict(serves)
        self._closed = False

    # --- what it claims ---
    def certification_claim(self) -> seam.Claim:
        answer = self._op("certification_claim", expect=("directions",))
        directions, not_offered = answer["directions"], answer.get("not_offered") or []
        known = SCHEMAS["Claim"]["properties"]["directions"]["additionalProperties"]["items"]["enum"]
        if not isinstance(directions, dict) or not all(
                isinstance(claimed, list) and all(d in known for d in claimed) for claimed in directions.values()):
            raise RemoteConnectorFailure(f"certification_claim: directions must map each platform to a list of "
                                         f"{' or '.join(known)}: {directions!r}")
        if not isinstance(not_offered, list) or not all(isinstance(item, str) for item in not_offered):
            raise RemoteConnectorFailure(f"certification_claim: not_offered must be a list of strings: {not_offered!r}")
        return seam.Claim({platform: list(claimed) for platform, claimed in directions.items()},
                          not_offered=list(not_offered))

    # --- accounts and order sync ---
    def add_account(self, *, name: str, platform: str, store: str, credentials: Mapping[str, str],
                    setup: seam.AccountSetup) -> str:
        return _string(self._op("add_account", body={"name": name, "platform": platform, "store": store,
                                                     "credentials": dict(credentials), "setup": _setup_json(setup)},
                                expect=("account_id",)), "account_id", "add_account")

    def account_setup(self, account_id: str) -> seam.AccountSetup:
        answer = self._op("account_setup", account=account_id)
        return seam.AccountSetup(generic_refund_item_id=answer.get("generic_refund_item_id"),
                                 shipping_item_id=answer.get("shipping_item_id"),
                                 payment_method_map=dict(answer.get("payment_method_map") or {}),
                                 refund_gift_cards_as_store_credit=bool(answer.get("refund_gift_cards_as_store_credit")))

    def change_setup(self, account_id: str, setup: seam.AccountSetup) -> None:
        self._op("change_setup", account=account_id, body=_setup_json(setup))

    def activate_order_sync(self, account_id: str) -> None:
        self._op("activate_order_sync", account=account_id)

    def sync_order(self, account_id: str, order_id: str) -> str:
        return _string(self._op("sync_order", account=account_id, order=order_id, expect=("sales_order_id",)),
                       "sales_order_id", "sync_order")

    # --- activation and direction ---
    def enable_refund_sync(self, account_id: str, direction: str) -> None:
        self._op("enable_refund_sync", account=account_id, body={"direction": direction})

    def disable_refund_sync(self, account_id: str) -> None:
        self._op("disable_refund_sync", account=account_id)

    def direction(self, account_id: str) -> str:
        return _string(self._op("direction", account=account_id, expect=("direction",)), "direction", "direction",
                       choices=SCHEMAS["Direction"]["properties"]["direction"]["enum"])

    # --- refunds ---
    def retrieve_refunds(self, account_id: str, order_id: str) -> list[seam.RefundView]:
        return self._views(self._op("retrieve_refunds", account=account_id, order=order_id, expect=("refunds",)),
                           "retrieve_refunds")

    def post(self, refund_id: str) -> seam.RefundView:
        return self._view(self._op("post", refund=refund_id), "post")

    def run_scheduled(self) -> seam.RunReport | None:
        answer = self._op("run_scheduled")
        if not answer:   # 204 (or an empty object): the connector does not report its runs
            return None
        counts = {}
        for name in SCHEMAS["RunReport"]["required"]:
            value = answer.get(name)
            if type(value) is not int or value < 0:
                raise RemoteConnectorFailure(f"run_scheduled: the run report's {name} must be a whole number of "
                                             f"refunds (0 or more): {answer!r}")
            counts[name] = value
        messages = answer.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            raise RemoteConnectorFailure(f"run_scheduled: the run report's messages must be a list of strings: "
                                         f"{messages!r}")
        return seam.RunReport(**counts, messages=tuple(messages))

    def refunds(self, account_id: str) -> list[seam.RefundView]:
        return self._views(self._op("refunds", account=account_id, expect=("refunds",)), "refunds")

    def cancel(self, refund_id: str) -> seam.RefundView:
        return self._view(self._op("cancel", refund=refund_id), "cancel")

    def uncancel(self, refund_id: str) -> seam.RefundView:
        return self._view(self._op("uncancel", refund=refund_id), "uncancel")

    def delete(self, refund_id: str) -> None:
        self._op("delete", refund=refund_id)

    # --- webhooks and lifetime ---
    def handle_webhook(self, request: httpx.Request) -> httpx.Response:
        platform = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        path = operation("handle_webhook").path.format(scenario=self.scenario, platform=_segment(platform))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        headers[NOW_HEADER] = isoformat(self.context.clock.now())
        try:
            answer = self._http.post(f"{self.url}/{VERSION}{path}", content=request.read(), headers=headers)
        except httpx.HTTPError as exc:
            raise RemoteConnectorFailure(f"connector at {self.url} did not answer the webhook: {exc}") from exc
        return httpx.Response(answer.status_code, headers={k: v for k, v in answer.headers.items()
                                                           if k.lower() in ("content-type",)},
                              content=answer.content)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._op("close")
        finally:
            self._http.close()

    # --- the wire ---
    def _op(self, seam_method: str, *, body: Any = None, expect: tuple[str, ...] = (), **ids: str) -> dict[str, Any]:
        op: Operation = operation(seam_method)
        if dict(self.context.hosts) != self._hosts_sent:   # a storefront started since the last call
            self._hosts_sent = dict(self.context.hosts)
            self._call("PUT", f"/scenarios/{_segment(self.scenario)}/hosts", body=self._hosts_sent)
        path = op.path.format(scenario=_segment(self.scenario), **{k: _segment(v) for k, v in ids.items()})
        return self._call(op.method, path, body=body, expect=expect, what=seam_method)

    def _call(self, method: str, path: str, *, body: Any = None, expect: tuple[str, ...] = (),
              what: str | None = None) -> dict[str, Any]:
        what = what or f"{method} /{VERSION}{path}"
        try:
            answer = self._http.request(method, f"{self.url}/{VERSION}{path}", json=body,
                                        headers={NOW_HEADER: isoformat(self.context.clock.now())})
        except httpx.HTTPError as exc:
            raise RemoteConnectorFailure(f"connector at {self.url} did not answer {what}: {exc!r}") from exc
        if answer.status_code >= 400:
            raise _failure(answer, what)
        if answer.status_code == 204 or not answer.content:
            if expect:
                raise RemoteConnectorFailure(f"{what}: the connector answered {answer.status_code} with no body; "
                                             f"expected a JSON object with {', '.join(expect)}")
            return {}
        try:
            parsed = answer.json()
        except ValueError:
            raise RemoteConnectorFailure(f"{what}: the connector's answer is not JSON: {answer.text[:500]!r}") from None
        if not isinstance(parsed, dict):
            raise RemoteConnectorFailure(f"{what}: the connector's answer is not a JSON object: {answer.text[:500]!r}")
        missing = [key for key in expect if key not in parsed]
        if missing:
            raise RemoteConnectorFailure(f"{what}: the connector's answer lacks {', '.join(missing) or 'an object'}: "
                                         f"{answer.text[:500]!r}")
        return parsed

    def _views(self, answer: dict[str, Any], what: str) -> list[seam.RefundView]:
        if not isinstance(answer["refunds"], list):
            raise RemoteConnectorFailure(f"{what}: refunds must be a list of protocol Refunds: {answer['refunds']!r}")
        return [self._view(row, what) for row in answer["refunds"]]

    def _view(self, row: Any, what: str) -> seam.RefundView:
        fields = SCHEMAS["Refund"]["properties"]
        try:
            if not isinstance(row, dict):
                raise TypeError("not a JSON object")
            text = {name: _string(row, name, "the refund", nullable=name not in SCHEMAS["Refund"]["required"],
                                  choices=fields[name].get("enum"))
                    for name in ("id", "account_id", "order_id", "source_id", "direction", "status", "error",
                                 "target_id", "currency", "total")}
            if text["total"] is not None and not re.fullmatch(fields["total"]["pattern"], text["total"]):
                raise ValueError(f"total {text['total']!r} is not a decimal amount")
            return seam.RefundView(**{**text, "total": None if text["total"] is None else Decimal(text["total"])})
        except (RemoteConnectorFailure, TypeError, ValueError, InvalidOperation) as exc:
            raise RemoteConnectorFailure(f"{what}: a refund from the connector is not a protocol Refund ({exc}): "
                                         f"{row!r}") from exc


def _failure(answer: httpx.Response, what: str) -> Exception:
    try:
        error = answer.json().get("error")
        kind, message = error["type"], str(error["message"])
    except (ValueError, AttributeError, KeyError, TypeError):
        return RemoteConnectorFailure(f"{what} failed: the connector answered {answer.status_code}: {answer.text[:2000]!r}")
    if kind not in _REFUSALS:
        return RemoteConnectorFailure(f"{what} failed: the connector answered {answer.status_code} with an unknown "
                                      f"error type {kind!r}: {answer.text[:2000]!r}")
    if kind != "activation_refused":
        return _REFUSALS[kind](message)
    missing = error.get("missing")
    unknown = seam.unknown_prerequisites(missing) if isinstance(missing, list) else []
    if not isinstance(missing, list) or not missing or unknown:
        wrong = (f"names no prerequisite of the protocol: {', '.join(map(repr, unknown))}" if unknown
                 else "is missing" if missing is None else f"is {missing!r}")
        return RemoteConnectorFailure(f"{what} failed: an activation_refused error's missing must list every unmet "
                                      f"prerequisite, each one of {', '.join(seam.PREREQUISITES)}; it {wrong}. "
                                      f"The connector answered {answer.status_code}: {answer.text[:2000]!r}")
    return seam.ActivationRefused(message, missing=missing)


def _string(answer: dict[str, Any], key: str, what: str, *, nullable: bool = False,
            choices: list[str] | None = None) -> Any:
    """``answer[key]`` when it is a string (one of ``choices``, if given), or None where the protocol
    allows it; anything else is the connector's fault, never turned into a string for it."""
    value = answer.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str) or (choices is not None and value not in choices):
        kind = f"one of {', '.join(choices)}" if choices is not None else "a string"
        raise RemoteConnectorFailure(f"{what}: {key} must be {kind}{' or null' * nullable}, not {value!r}")
    return value


def _segment(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def remote_factory(url: str) -> seam.ConnectorFactory:
    """The seam factory for the connector served at ``url``."""
    def build(context: seam.ConnectorContext) -> RemoteConnector:
        return RemoteConnector(url, context)
    build.__qualname__ = f"remote connector at {url}"
    build.needs_loopback = True  # type: ignore[attr-defined]
    return build


def _setup_json(setup: seam.AccountSetup) -> dict[str, Any]:
    return {"generic_refund_item_id": setup.generic_refund_item_id, "shipping_item_id": setup.shipping_item_id,
            "payment_method_map": dict(setup.payment_method_map),
            "refund_gift_cards_as_store_credit": setup.refund_gift_cards_as_store_credit}
