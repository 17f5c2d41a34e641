"""WooCommerce REST API wc/v3 simulator (refunds by line or amount, signed webhooks)."""
from simulators.woocommerce.auth import woocommerce_signature
from simulators.woocommerce.models import WooBackend, WooError
from simulators.woocommerce.responses import WooCommerceSimulator, WooDelivery, WooSettings, sign_webhook

__all__ = ["WooBackend", "WooCommerceSimulator", "WooDelivery", "WooError", "WooSettings", "sign_webhook",
           "woocommerce_signature"]
