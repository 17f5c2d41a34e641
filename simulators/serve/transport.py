"""Moved to ``common.hostmap`` so the connector's own process entry point can use it too (the
connector never imports ``simulators``); kept here under its old name for existing imports."""
from common.hostmap import AddressLookup, HostMappingTransport

__all__ = ["AddressLookup", "HostMappingTransport"]
