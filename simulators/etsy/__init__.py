"""Etsy simulator (Open API v3 shop receipts; refunds are read-only amounts on the receipt, and a
refund leaves the receipt's updated_timestamp unchanged). See docs/wire-contract.md (its section)."""
from simulators.etsy.models import EtsyBackend, EtsyError, EtsySettings, Shop
from simulators.etsy.responses import EtsySimulator

__all__ = ["EtsyBackend", "EtsyError", "EtsySettings", "EtsySimulator", "Shop"]
