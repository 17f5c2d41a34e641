"""Square simulator (amount-only refunds, PENDING then COMPLETED). See docs/wire-contract.md, "Square"."""
from simulators.square.models import Merchant, SquareBackend, SquareError, SquareSettings
from simulators.square.responses import SquareSimulator

__all__ = ["Merchant", "SquareBackend", "SquareError", "SquareSettings", "SquareSimulator"]
