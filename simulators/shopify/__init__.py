"""Shopify Admin REST simulator (refunds by line). See docs/wire-contract.md, "Shopify Admin REST"."""
from simulators.shopify.models import (
    API_VERSIONS, Invalid, NotFound, ShopifyBackend, ShopifyError, ShopifySettings,
)
from simulators.shopify.responses import DEFAULT_API_VERSION, ShopifySimulator
from simulators.shopify.webhooks import DeliveryAttempt, WebhookDelivery, sign

__all__ = [
    "API_VERSIONS", "DEFAULT_API_VERSION", "DeliveryAttempt", "Invalid", "NotFound", "ShopifyBackend",
    "ShopifyError", "ShopifySettings", "ShopifySimulator", "WebhookDelivery", "sign",
]
