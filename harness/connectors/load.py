"""Which connector a run certifies: ``package.module:factory`` names one in process, an ``http(s)://`` URL
one served over the connector protocol. Above both the seam and the remote adapter, so neither imports
the other."""
from __future__ import annotations

import importlib

from harness.connectors.remote import remote_factory
from harness.seam import ConnectorFactory


def load_factory(spec: str) -> ConnectorFactory:
    """``package.module:factory`` -> the factory, or for an ``http(s)://`` URL the factory of the connector
    served there over the connector protocol (docs/connector-protocol.md); anything wrong is refused."""
    if spec.startswith(("http://", "https://")):
        return remote_factory(spec)
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"--connector {spec!r}: expected package.module:factory")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--connector {spec!r}: cannot import {module_name} ({exc})") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ValueError(f"--connector {spec!r}: {module_name} has no callable {attribute}")
    return factory
