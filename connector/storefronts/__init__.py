"""Storefront adapters: one per platform, all behind ``base.StorefrontAdapter``."""
from connector.storefronts.base import RefundPush, StorefrontAdapter
from connector.storefronts.shopify import ShopifyAdapter
from connector.storefronts.square import SquareAdapter

__all__ = ["RefundPush", "ShopifyAdapter", "SquareAdapter", "StorefrontAdapter"]
