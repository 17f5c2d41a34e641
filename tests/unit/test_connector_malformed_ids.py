"""A malformed id given to the manual "Retrieve Refund/Return" is refused in the connector's own
words (ConnectorError naming the problem), never a bare ValueError from deep inside."""
from __future__ import annotations

import pytest

from connector import ConnectorError, Direction
from tests.unit.connector_helpers import add_shopify_account, connector_on_netsuite

MALFORMED = {"superscript two": "\u00b2", "5,000 digits": "9" * 5000, "arabic-indic digits": "\u0661\u0662",
             "empty": "", "spaces": "  ", "control character": "10\x0001"}


@pytest.mark.parametrize("direction", [Direction.TO_NETSUITE, Direction.FROM_NETSUITE])
@pytest.mark.parametrize("key", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_id_is_refused_in_words(tmp_path, direction: Direction, key: str) -> None:
    with connector_on_netsuite(tmp_path) as (connector, netsuite, routes):
        account = add_shopify_account(connector, netsuite.settings)
        connector.ledger.update_account(account.id, direction=direction)
        with pytest.raises(ConnectorError, match="is not an? .*id") as refused:
            connector.retrieve_refunds(account.id, key)
        assert not isinstance(refused.value, ValueError)
        assert routes.requests == []   # refused before anything was asked of NetSuite or the storefront
