"""Magento 2 / Adobe Commerce simulator (credit memos online and offline). See docs/wire-contract.md, "Magento"."""
from simulators.magento.models import MagentoBackend, MagentoError
from simulators.magento.responses import MagentoSimulator

__all__ = ["MagentoBackend", "MagentoError", "MagentoSimulator"]
