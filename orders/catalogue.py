"""Reads of the product catalogue for the write side: prices come from here, never the client."""
from __future__ import annotations

from collections.abc import Iterable

from orders.domain.values import ProductInfo
from orders.models import Product


def product_infos(skus: Iterable[str]) -> dict[str, ProductInfo]:
    """What the catalogue says now about each known sku (unknown skus are simply absent)."""
    rows = Product.objects.filter(sku__in=set(skus)).values_list("sku", "name", "unit_price", "currency", "active")
    return {sku: ProductInfo(sku=sku, name=name, unit_price=price, currency=currency, active=active)
            for sku, name, price, currency, active in rows}
