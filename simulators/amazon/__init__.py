"""Amazon simulator (Selling Partner API: Orders v0, Finances v0; refunds are read-only and appear
once a settlement report includes them). See docs/wire-contract.md (its section)."""
from simulators.amazon.models import AmazonBackend, AmazonError, AmazonSettings, Seller
from simulators.amazon.responses import AmazonSimulator

__all__ = ["AmazonBackend", "AmazonError", "AmazonSettings", "AmazonSimulator", "Seller"]
