"""Walmart Marketplace simulator (refunds of shipped order lines). See docs/wire-contract.md, "Walmart"."""
from simulators.walmart.models import (ChargeAsked, LineAsked, Seller, WalmartBackend, WalmartError,
                                       WalmartSettings)
from simulators.walmart.responses import HOST, WalmartSimulator

__all__ = ["ChargeAsked", "HOST", "LineAsked", "Seller", "WalmartBackend", "WalmartError", "WalmartSettings",
           "WalmartSimulator"]
