"""Storefront adapters: one module per platform, each defining ``STOREFRONT`` (a ``StorefrontSpec``).

The connector finds them here by platform name; no other part of the connector names a platform.
Discovery is lazy (on first use), because the platform modules import the sync flows that import
``base`` from this package.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from connector.errors import ConnectorError
from connector.storefronts.base import RefundPush, StorefrontAdapter, StorefrontSpec

__all__ = ["RefundPush", "StorefrontAdapter", "StorefrontSpec", "storefront", "storefronts"]


@cache
def storefronts() -> dict[str, StorefrontSpec]:
    """Every platform this connector can sync, by name."""
    found: dict[str, StorefrontSpec] = {}
    for module_info in pkgutil.iter_modules(__path__):
        spec = getattr(importlib.import_module(f"{__name__}.{module_info.name}"), "STOREFRONT", None)
        if spec is not None:
            found[spec.platform] = spec
    return dict(sorted(found.items()))


def storefront(platform: str) -> StorefrontSpec:
    try:
        return storefronts()[platform]
    except KeyError:
        raise ConnectorError(f"Unknown platform {platform!r}: this connector syncs "
                             f"{', '.join(storefronts())}.") from None
