"""SuiteQL of the fake NetSuite: the mirror tables, string values, paging, and read-only enforcement."""
from __future__ import annotations

import httpx
import pytest

from simulators.netsuite.responses import page_link
from tests.unit.netsuite.helpers import (
    RECORDS,
    SUITEQL,
    World,
    created_id,
    error_detail,
    post_sales_order,
    transform,
)

TRANSIENT = {"Prefer": "transient"}


def suiteql(world: World, query: str, **params) -> dict:
    response = world.client.post(SUITEQL, json={"q": query}, headers=TRANSIENT, params=params or None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=collection"
    return response.json()


def refusal(world: World, query: str) -> str:
    """The detail of NetSuite's 400 USER_ERROR for a query it will not run."""
    response = world.client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorCode"] == "USER_ERROR"
    return detail["detail"]


def test_transactions_come_back_as_lower_case_string_columns(world, catalog):
    so = post_sales_order(world, catalog, memo="web")
    body = suiteql(world, "SELECT ID, TranId, type, externalid, entity, currency, foreigntotal, trandate, "
                          "createddate, memo FROM transaction")
    assert (body["count"], body["hasMore"], body["offset"], body["totalResults"]) == (1, False, 0, 1)
    assert body["items"] == [{
        "links": [], "id": so, "tranid": "SO-1001", "type": "SalesOrd", "externalid": "shop-order-1001",
        "entity": catalog.customer, "currency": "1", "foreigntotal": "59", "trandate": "2026-01-05",
        "createddate": "2026-01-05T09:00:00Z", "memo": "web"}]


def test_nulls_are_omitted(world, catalog):
    post_sales_order(world, catalog)
    (row,) = suiteql(world, "SELECT id, memo FROM transaction")["items"]
    assert "memo" not in row


def test_amounts_are_exact_strings(world, catalog):
    so = post_sales_order(world, catalog, lines=[
        {"item": {"id": catalog.hat}, "amount": 0.1}, {"item": {"id": catalog.hat}, "amount": 0.2},
        {"item": {"id": catalog.shirt}, "quantity": 3}])
    body = suiteql(world, f"SELECT SUM(netamount) AS s, MAX(rate) AS r FROM transactionline "
                          f"WHERE transaction = {so} AND mainline = 'F' AND item = {catalog.hat}")
    assert body["items"] == [{"links": [], "s": "0.3", "r": "0.2"}]
    (shirt,) = suiteql(world, f"SELECT quantity, rate, netamount FROM transactionline WHERE item = {catalog.shirt}")[
        "items"]
    assert (shirt["quantity"], shirt["rate"], shirt["netamount"]) == ("3", "24.5", "73.5")


def test_lines_main_line_and_createdfrom_join(world, catalog):
    so = post_sales_order(world, catalog)
    cs = created_id(transform(world, "salesOrder", so, "cashSale"))
    body = {"externalId": "r-1", "item": {"items": [{"orderLine": 1, "quantity": 1}]}}
    cr = created_id(transform(world, "cashSale", cs, "cashRefund", body, replace=True))
    lines = suiteql(world, f"SELECT id, linesequencenumber, mainline, item, quantity, netamount, createdfrom "
                           f"FROM transactionline WHERE transaction = {cr} ORDER BY linesequencenumber")["items"]
    assert lines == [
        {"links": [], "id": "0", "linesequencenumber": "0", "mainline": "T", "netamount": "24.5", "createdfrom": cs},
        {"links": [], "id": "1", "linesequencenumber": "1", "mainline": "F", "item": catalog.shirt, "quantity": "1",
         "netamount": "24.5", "createdfrom": cs},
    ]
    # The connector's question: which refunds were created from the billed records of this order?
    refunds = suiteql(world, f"""
        SELECT DISTINCT r.id, r.tranid, r.type, r.externalid, b.type AS billedtype
        FROM transaction r
        JOIN transactionline rl ON rl.transaction = r.id AND rl.mainline = 'T'
        JOIN transaction b ON b.id = rl.createdfrom
        JOIN transactionline bl ON bl.transaction = b.id AND bl.mainline = 'T'
        WHERE bl.createdfrom = {so} AND r.type IN ('CashRfnd', 'CustCred')""")["items"]
    assert refunds == [{"links": [], "id": cr, "tranid": "CR-1003", "type": "CashRfnd", "externalid": "r-1",
                        "billedtype": "CashSale"}]


def test_items_customers_and_currencies(world, catalog):
    items = suiteql(world, "SELECT id, itemid, itemtype, displayname FROM item ORDER BY id")["items"]
    assert [(i["itemid"], i["itemtype"]) for i in items] == [
        ("SKU-SHIRT", "InvtPart"), ("SKU-HAT", "InvtPart"), ("Shipping", "OthCharge"),
        ("Refund Adjustment", "OthCharge")]
    (customer,) = suiteql(world, "SELECT id, entityid, externalid, email FROM customer")["items"]
    assert customer == {"links": [], "id": catalog.customer, "entityid": "Jane Doe",
                        "externalid": "shop-customer-1", "email": "jane@example.com"}
    currencies = suiteql(world, "SELECT id, symbol, name FROM currency ORDER BY id")["items"]
    assert [(c["id"], c["symbol"]) for c in currencies] == [("1", "USD"), ("2", "GBP"), ("3", "CAD"),
                                                             ("4", "EUR"), ("5", "JPY")]


def test_writes_show_through_immediately(world, catalog):
    so = post_sales_order(world, catalog)
    world.client.patch(f"{RECORDS}/salesOrder/{so}", json={"memo": "changed"})
    assert suiteql(world, "SELECT memo FROM transaction")["items"][0]["memo"] == "changed"
    world.sim.reset()
    assert suiteql(world, "SELECT id FROM transaction")["totalResults"] == 0


def test_paging_with_limit_offset_and_has_more(world, catalog):
    for n in range(5):
        post_sales_order(world, catalog, external_id=f"o{n}")
    query = "SELECT externalid FROM transaction ORDER BY id"
    first = suiteql(world, query, limit=2)
    assert (first["count"], first["hasMore"], first["totalResults"]) == (2, True, 5)
    assert [row["externalid"] for row in first["items"]] == ["o0", "o1"]
    last = suiteql(world, query, limit=2, offset=4)
    assert (last["count"], last["hasMore"], last["offset"]) == (1, False, 4)
    assert [row["externalid"] for row in last["items"]] == ["o4"]
    rels = {link["rel"] for link in first["links"]}
    assert {"next", "first", "last", "self"} <= rels


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": "-2"}, {"offset": 3, "limit": 2},
                                    {"offset": 1}])
def test_paging_bounds(world, params):
    response = world.client.post(SUITEQL, json={"q": "SELECT id FROM item"}, headers=TRANSIENT, params=params)
    assert error_detail(response)["o:errorQueryParam"] == next(iter(params))


def test_prefer_transient_is_required(world):
    response = world.client.post(SUITEQL, json={"q": "SELECT id FROM item"})
    assert response.status_code == 400
    detail = error_detail(response)
    assert (detail["o:errorCode"], detail["o:errorHeader"]) == ("USER_ERROR", "Prefer")


@pytest.mark.parametrize("query", [
    "DELETE FROM transaction",
    "INSERT INTO item (id, itemid) VALUES (1, 'x')",
    "UPDATE customer SET email = 'x'",
    "PRAGMA table_info(item)",
    "ATTACH DATABASE ':memory:' AS other",
    "DROP TABLE item",
    "SELECT id FROM item; DELETE FROM item",
    "SELECT id FROM item;",
    "SELECT name FROM sqlite_master",
    "SELECT * FROM nosuchtable",
    "SELECT FROM WHERE",
    "WITH x AS (SELECT 1) DELETE FROM item",
])
def test_anything_but_one_select_is_an_invalid_search_query(world, catalog, query):
    assert refusal(world, query).startswith("Invalid search query")
    assert len(suiteql(world, "SELECT id FROM item")["items"]) == 4


def test_semicolons_and_keywords_inside_strings_are_just_text(world, catalog):
    post_sales_order(world, catalog, memo="a; transaction")
    body = suiteql(world, "SELECT memo FROM transaction WHERE memo = 'a; transaction' -- ; trailing comment")
    assert body["items"][0]["memo"] == "a; transaction"


def test_runaway_query_is_stopped(world, catalog):
    query = "SELECT COUNT(*) FROM " + ", ".join(f"item i{n}" for n in range(14))  # 4**14 rows
    response = world.client.post(SUITEQL, json={"q": query}, headers=TRANSIENT)
    assert "too expensive" in error_detail(response)["detail"]


@pytest.mark.parametrize("body", [{}, {"q": ""}, {"q": 7}, ["SELECT 1"]])
def test_body_must_carry_q(world, body):
    response = world.client.post(SUITEQL, json=body, headers=TRANSIENT)
    assert error_detail(response)["o:errorPath"] == "q"


# --- Oracle's ROWNUM: SuiteQL takes Oracle syntax, the mirror runs SQLite ------------------------

def _five_orders(world: World, catalog) -> None:
    for n in range(5):
        post_sales_order(world, catalog, external_id=f"o{n}")


@pytest.mark.parametrize(("condition", "rows"), [
    ("ROWNUM <= 3", 3), ("ROWNUM < 3", 2), ("3 >= ROWNUM", 3), ("ROWNUM = 1", 1), ("ROWNUM <= 0", 0),
    ("ROWNUM = 2", 0), ("ROWNUM > 1", 0), ("ROWNUM >= 2", 0), ("ROWNUM > 0", 5), ("ROWNUM >= 1", 5),
])
def test_rownum_in_where_caps_the_rows_as_oracle_does(world, catalog, condition, rows):
    _five_orders(world, catalog)
    body = suiteql(world, f"SELECT externalid FROM transaction WHERE type = 'SalesOrd' AND {condition}")
    assert (body["count"], body["totalResults"]) == (rows, rows)


def test_rownum_caps_an_ordered_subquery_for_top_n(world, catalog):
    _five_orders(world, catalog)
    body = suiteql(world, "SELECT * FROM (SELECT externalid FROM transaction ORDER BY externalid DESC) "
                          "WHERE ROWNUM <= 2")
    assert [row["externalid"] for row in body["items"]] == ["o4", "o3"]


def test_rownum_in_the_select_list_numbers_rows_for_paging(world, catalog):
    _five_orders(world, catalog)
    body = suiteql(world, "SELECT externalid FROM (SELECT ROWNUM AS rn, x.externalid FROM "
                          "(SELECT externalid FROM transaction ORDER BY externalid) x) WHERE rn BETWEEN 2 AND 3")
    assert [row["externalid"] for row in body["items"]] == ["o1", "o2"]


@pytest.mark.parametrize("query", [
    "SELECT externalid FROM transaction WHERE ROWNUM <= 2 ORDER BY externalid",   # Oracle caps before sorting
    "SELECT COUNT(*) FROM transaction WHERE ROWNUM <= 2",                         # ... and before counting
    "SELECT id FROM transaction WHERE ROWNUM <= 2 OR id = 1",
    "SELECT id FROM transaction WHERE ROWNUM <= id",
    "SELECT id FROM transaction ORDER BY ROWNUM",
])
def test_rownum_forms_the_mirror_cannot_answer_as_oracle_are_an_invalid_search_query(world, catalog, query):
    detail = refusal(world, query)
    assert detail.startswith("Invalid search query") and "ROWNUM" in detail


def test_rownum_inside_a_string_is_just_text(world, catalog):
    post_sales_order(world, catalog, memo="ROWNUM <= 1")
    body = suiteql(world, "SELECT memo FROM transaction WHERE memo = 'ROWNUM <= 1'")
    assert body["items"][0]["memo"] == "ROWNUM <= 1"


def test_a_bare_rownum_column_is_called_rownum(world, catalog):
    _five_orders(world, catalog)
    body = suiteql(world, "SELECT ROWNUM, externalid FROM transaction WHERE ROWNUM <= 2")
    assert [row["rownum"] for row in body["items"]] == ["1", "2"]


@pytest.mark.parametrize("function", ["fts3_tokenizer('simple')", "randomblob(16)", "zeroblob(16)",
                                      "load_extension('x')", "sqlite_version()"])
def test_functions_outside_the_allowlist_are_refused_by_name(world, function):
    name = function.split("(")[0].upper()
    assert f"Function {name} is not supported." in refusal(world, f"SELECT {function} AS x FROM item")


def test_allowed_functions_run(world, catalog):
    body = suiteql(world, "SELECT upper(itemid) AS name, length(itemid) AS size FROM item WHERE itemid LIKE 'SKU%'")
    assert body["items"] and all(row["name"].startswith("SKU") for row in body["items"])


def test_a_value_cannot_grow_past_the_cap(world, catalog):
    detail = refusal(world, "SELECT replace(printf('%.*c', 900000, 'x'), 'x', 'xxx') AS big FROM item")
    assert "larger than" in detail


def test_a_record_the_mirror_cannot_take_is_not_stored_either(world, catalog, monkeypatch):
    """REST and SuiteQL never disagree: a failed mirror write leaves no record, and a retry succeeds."""
    mirror = world.sim._mirror   # noqa: SLF001 - break the mirror to prove the record follows it
    real_write = mirror._write   # noqa: SLF001

    def broken(record):
        raise RuntimeError("mirror unavailable")

    monkeypatch.setattr(mirror, "_write", broken)
    with pytest.raises(RuntimeError, match="mirror unavailable"):
        post_sales_order(world, catalog, external_id="so-mirror-1")
    monkeypatch.setattr(mirror, "_write", real_write)
    assert world.client.get(f"{RECORDS}/salesOrder/eid:so-mirror-1").status_code == 404
    assert suiteql(world, "SELECT id FROM transaction WHERE externalid = 'so-mirror-1'")["items"] == []
    post_sales_order(world, catalog, external_id="so-mirror-1")   # no "already exists"
    assert len(suiteql(world, "SELECT id FROM transaction WHERE externalid = 'so-mirror-1'")["items"]) == 1


def test_a_lone_surrogate_in_a_query_is_named(world):
    response = world.client.post(SUITEQL, content=b'{"q": "SELECT id FROM item WHERE itemid = \'\\udcff\'"}',
                                 headers={**TRANSIENT, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "half of a UTF-16 surrogate pair" in error_detail(response)["detail"]


def test_a_capped_page_links_to_the_next_page_of_the_capped_size(world, catalog):
    world.sim.set_max_page_size(1)
    first = world.client.post(SUITEQL, json={"q": "SELECT id FROM item"}, headers=TRANSIENT,
                              params={"limit": 1000}).json()
    assert first["count"] == 1 and first["hasMore"] and first["totalResults"] > 1
    following = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert httpx.URL(following).params["limit"] == "1" and httpx.URL(following).params["offset"] == "1"


@pytest.mark.parametrize("url", [
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql",
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=5&offset=10",
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?offset=0&x=a%20b&x=c+d&limit=2",
    "http://127.0.0.1:8123/services/rest/query/v1/suiteql?q=%2F%26%3D&empty=&caf%C3%A9=1#frag",
])
def test_page_links_are_what_copying_the_url_twice_writes(url):
    """The simulator builds each page link from one parse of the request URL; the link is the one
    ``url.copy_set_param("limit", ...).copy_set_param("offset", ...)`` writes."""
    parsed = httpx.URL(url)
    at = page_link(parsed, 5)
    for offset in (0, 5, 1000, 99995):
        assert at(offset) == str(parsed.copy_set_param("limit", 5).copy_set_param("offset", offset))
