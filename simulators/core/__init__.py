from simulators.core.base import Route, Simulator, SimulatorError, route
from simulators.core.journal import Journal, JournalEntry

__all__ = ["Route", "Simulator", "SimulatorError", "route", "Journal", "JournalEntry"]
