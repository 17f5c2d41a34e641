"""eBay simulator (Sell Fulfillment API: amount refunds, PENDING then REFUNDED; buyer-requested refunds
listed, unrequested Seller Hub refunds not). See docs/wire-contract.md (its section)."""
from simulators.ebay.models import EbayBackend, EbayError, EbaySettings, Seller
from simulators.ebay.responses import EbaySimulator

__all__ = ["EbayBackend", "EbayError", "EbaySettings", "EbaySimulator", "Seller"]
