"""Storefront adapters: one module per platform, each defining ``STOREFRONT`` (a ``StorefrontSpec``);
and, for platforms that send refund webhooks, a ``<platform>_webhooks`` module defining ``WEBHOOKS``
(the platform's hooks into the one webhook pipeline, webhook_receiver.py).

The connector finds both here by platform name; no other part of the connector names a platform. A
receiver module uses its adapter module (topic names), never the other way round: they are put
together here. Discovery is lazy (on first use), because the platform modules import the sync flows
that import ``base`` from this package.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from connector.errors import ConnectorError
from connector.storefronts.base import RefundPush, StorefrontAdapter, StorefrontSpec

__all__ = ["RefundPush", "StorefrontAdapter", "StorefrontSpec", "storefront", "storefronts", "webhook_platforms"]


@cache
def _platform_modules() -> tuple[Any, ...]:
    return tuple(importlib.import_module(f"{__name__}.{module_info.name}")
                 for module_info in pkgutil.iter_modules(__path__))


@cache
def storefronts() -> dict[str, StorefrontSpec]:
    """Every platform this connector can sync, by name."""
    found = {spec.platform: spec for module in _platform_modules()
             if (spec := getattr(module, "STOREFRONT", None)) is not None}
    return dict(sorted(found.items()))


@cache
def webhook_platforms() -> dict[str, Any]:
    """The webhook hooks (``WebhookPlatform``) of every platform that sends refund webhooks, by name."""
    found = {hooks.platform: hooks for module in _platform_modules()
             if (hooks := getattr(module, "WEBHOOKS", None)) is not None}
    unknown = sorted(set(found) - set(storefronts()))
    if unknown:
        raise ConnectorError(f"Webhook receivers for platforms without an adapter: {', '.join(unknown)}.")
    return dict(sorted(found.items()))


def storefront(platform: str) -> StorefrontSpec:
    try:
        return storefronts()[platform]
    except KeyError:
        raise ConnectorError(f"Unknown platform {platform!r}: this connector syncs "
                             f"{', '.join(storefronts())}.") from None
