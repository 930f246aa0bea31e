"""Reads of the product catalogue for the write side: prices come from here, never the client.

Every order looks its products up, so their catalogue rows are cached in Redis (one MGET per
order) and dropped whenever a product is saved or deleted; the database stays the authority and
a short timeout bounds staleness from writes that bypass the model (queryset.update, raw SQL).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from orders.domain.values import ProductInfo
from orders.models import Product

log = logging.getLogger(__name__)
CACHE_TIMEOUT_SECONDS = 30
_MISSING = "missing"  # cached "no such sku", so unknown skus do not hit the database every time


def _cache_key(sku: str) -> str:
    return f"catalogue:v1:{sku}"


def product_infos(skus: Iterable[str]) -> dict[str, ProductInfo]:
    """What the catalogue says now about each known sku (unknown skus are simply absent)."""
    wanted = set(skus)
    try:
        cached = cache.get_many([_cache_key(sku) for sku in wanted])
    except Exception:  # the cache is an optimisation: without Redis, ask the database
        log.warning("catalogue cache unavailable", exc_info=True)
        cached = {}
    found: dict[str, ProductInfo | str] = {key.removeprefix("catalogue:v1:"): value for key, value in cached.items()}
    missing = wanted - found.keys()
    if missing:
        loaded = _from_database(missing)
        fresh = {sku: loaded.get(sku, _MISSING) for sku in missing}
        found.update(fresh)
        try:
            cache.set_many({_cache_key(sku): value for sku, value in fresh.items()}, timeout=CACHE_TIMEOUT_SECONDS)
        except Exception:
            log.warning("catalogue cache unavailable", exc_info=True)
    return {sku: info for sku, info in found.items() if isinstance(info, ProductInfo)}


def _from_database(skus: set[str]) -> dict[str, ProductInfo]:
    rows = Product.objects.filter(sku__in=skus).values_list("sku", "name", "unit_price", "currency", "active")
    return {sku: ProductInfo(sku=sku, name=name, unit_price=price, currency=currency, active=active)
            for sku, name, price, currency, active in rows}


@receiver([post_save, post_delete], sender=Product, dispatch_uid="catalogue-cache-invalidation")
def forget_cached_product(sender: type[Product], instance: Product, **kwargs: object) -> None:
    """A saved or deleted product must be read afresh by the next order."""
    cache.delete(_cache_key(instance.sku))
