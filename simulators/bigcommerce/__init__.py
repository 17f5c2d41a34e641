"""BigCommerce simulator (v2 orders, v3 refund quotes and refunds, hooks). See docs/wire-contract.md (its section)."""
from simulators.bigcommerce.models import BigCommerceBackend, BigCommerceError, BigCommerceSettings, Store
from simulators.bigcommerce.responses import BigCommerceSimulator

__all__ = ["BigCommerceBackend", "BigCommerceError", "BigCommerceSettings", "BigCommerceSimulator", "Store"]
