"""The vendored contracts are the vendors' files as published, the coverage table is current, and the
checker refuses what the schemas refuse, naming operation, status and schema location."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from simulators import contract_check, contracts, coverage
from simulators.contract_check import check_answer, check_journal
from simulators.core.faults import FaultAction
from simulators.core.journal import JournalEntry

PLATFORMS = contracts.platforms_with_contracts()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_vendored_file_is_the_one_its_readme_names(platform: str) -> None:
    readme = (contracts.CONTRACTS_DIR / platform / "README.md").read_text()
    for schema_file in contracts.contract(platform).files:
        content = (contracts.CONTRACTS_DIR / schema_file.path).read_bytes()
        assert contracts.git_blob_id(content) == schema_file.blob, f"{schema_file.path} differs from the vendor's file"
        assert schema_file.blob in readme, f"{platform}/README.md does not name {schema_file.path}'s blob id"
    for path in sorted((contracts.CONTRACTS_DIR / platform).iterdir()):
        if path.name not in ("README.md", "contract.toml"):
            assert contracts.git_blob_id(path.read_bytes()) in readme, \
                f"{platform}/README.md does not name the blob id of {path.name}, so its source cannot be checked"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_route_of_the_simulator_serves_a_published_operation(platform: str) -> None:
    outside = [f"{m.method} {m.regex}" for m in contracts.modelled(platform) if m.operation is None]
    assert not outside, f"{platform}'s simulator has routes its vendor does not publish: {outside}"


def test_the_coverage_table_is_current() -> None:
    assert coverage.DOC.read_text() == coverage.document(), \
        "docs/simulator-coverage.md is not current: run python -m simulators.coverage --write"


def test_every_exception_names_published_operations_and_says_why() -> None:
    found = contracts.exceptions()   # refuses an entry without what, why, evidence or with unknown operations
    assert found and all(e.why and e.evidence for e in found)


def _first_modelled(platform: str) -> contracts.Operation:
    return next(m.operation for m in contracts.modelled(platform) if m.operation is not None)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_body_of_the_wrong_shape_is_named_with_its_schema_location(platform: str) -> None:
    operation = _first_modelled(platform)
    path = operation.template.replace("{", "x").replace("}", "x")
    success = next(s for s in operation.statuses if s.startswith("2"))
    found = check_answer(platform, operation.method, path, int(success), json.dumps([1, 2]).encode())
    assert found, f"a JSON array passed as {operation.name}'s {success} answer"
    text = str(found[0])
    assert operation.operation_id in text and f"answered {success}" in text and "[schema " in text


def test_a_failure_names_the_definition_that_refused_it() -> None:
    body = {"order": {"location_id": "L1", "line_items": [{"quantity": 3}]}}
    found = check_answer("square", "GET", "/v2/orders/O1", 200, json.dumps(body).encode())
    assert [(v.body_at, v.schema_at) for v in found] == [
        ("$.order.line_items[0].quantity", "#/components/schemas/OrderLineItem/properties/quantity/type")]


def test_a_status_the_operation_does_not_declare_fails() -> None:
    found = check_answer("amazon", "GET", "/orders/v0/orders/123", 418, b"{}")
    assert len(found) == 1 and "status 418 is not a response the operation declares" in str(found[0])


def test_an_exception_holds_an_undeclared_status_to_the_schema_it_names() -> None:
    good = {"errors": [{"category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND", "detail": "no such refund"}]}
    assert check_answer("square", "GET", "/v2/refunds/R1", 404, json.dumps(good).encode()) == []
    bad = {"errors": [{"category": "INVALID_REQUEST_ERROR", "code": "NO_SUCH_THING"}]}
    found = check_answer("square", "GET", "/v2/refunds/R1", 404, json.dumps(bad).encode())
    assert [v.schema_at for v in found] == ["#/components/schemas/ErrorCode/enum"]


def test_a_request_for_no_published_operation_is_not_judged() -> None:
    assert check_answer("square", "GET", "/v2/not-an-endpoint", 404, b"not json") == []


class _Journaled:
    platform = "square"

    def __init__(self, *entries: JournalEntry) -> None:
        self.journal = type("J", (), {"entries": lambda _self: list(entries)})()


def _entry(body: bytes, fault: FaultAction | None = None, status: int = 200) -> JournalEntry:
    return JournalEntry(at=datetime(2026, 1, 5, tzinfo=timezone.utc), method="GET", url="https://h/v2/refunds",
                        path="/v2/refunds", status=status, request_body=b"", response_body=body,
                        operation="list_payment_refunds", fault=f"f1 {fault}" if fault else "", fault_action=fault)


def test_the_journal_is_judged_except_where_a_fault_cut_the_answer_short() -> None:
    assert check_journal(_Journaled(_entry(b'{"refunds": [{"id": 5}]}')))
    assert check_journal(_Journaled(_entry(b'{"refunds": [', fault=FaultAction.TRUNCATED))) == []
    assert check_journal(_Journaled(_entry(b"", status=0, fault=FaultAction.TIMEOUT))) == []
    # a status fault answers in the platform's own error shape, which the contract holds
    assert check_journal(_Journaled(_entry(b'{"errors": 5}', fault=FaultAction.STATUS, status=503)))


def test_a_schema_exception_accepts_only_the_place_it_names() -> None:
    refund = {"id": 1, "order_id": 2, "total_amount": 5, "payments": [{"id": 3}],
              "items": [{"item_type": "PRODUCT", "item_id": 4, "quantity": 1, "requested_amount": None}]}
    path = "/stores/abc/v3/orders/2/payment_actions/refunds"
    assert check_answer("bigcommerce", "GET", path, 200, json.dumps({"data": [refund], "meta": {}}).encode()) == []
    refund["total_amount"] = None   # the same schema (Amount), elsewhere in the body: no exception covers it
    found = check_answer("bigcommerce", "GET", path, 200, json.dumps({"data": [refund], "meta": {}}).encode())
    assert [(v.body_at, v.schema_at) for v in found] == [("$.data[0].total_amount", "#/components/schemas/Amount/type")]
