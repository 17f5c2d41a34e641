"""The check that a sales order's shipping line says it is shipping accepts any honest wording and
rejects a description that names no shipping."""
from __future__ import annotations

import pytest

from steps.checks import names_shipping


@pytest.mark.parametrize("description, method", [
    ("Shipping", None), ("Standard Shipping", "Standard Shipping"), ("shipping & handling", None),
    ("Delivery charge", None), ("Postage", None), ("Freight", None), ("Flat Rate", "Flat Rate"), ("", None),
    (None, None),
])
def test_a_description_that_says_shipping_passes(description, method):
    assert names_shipping(description, method)


@pytest.mark.parametrize("description, method", [
    ("XXShippingXX", None), ("Flat Rate", None), ("Flat Rate", "Express"), ("Widget", None), ("Shippingfee", None),
])
def test_a_description_that_names_no_shipping_fails(description, method):
    assert not names_shipping(description, method)
