"""Reads of the product catalogue for the write side: prices come from here, never the client.

Every order looks its products up, so their catalogue rows are cached in Redis and dropped
whenever a product is saved or deleted; the database stays the authority and a short timeout
bounds staleness from writes that bypass the model (queryset.update, raw SQL). In front of Redis,
each process keeps what it read for one second: the Redis round trip was a fifth of a CreateOrder.
So a saved price reaches the next order of the process that saved it at once, and of every other
process within a second.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from orders.domain.values import ProductInfo
from orders.models import Product

log = logging.getLogger(__name__)
CACHE_TIMEOUT_SECONDS = 30
LOCAL_SECONDS = 1.0  # how long a process reuses what it read from Redis or the database
_MISSING = "missing"  # cached "no such sku", so unknown skus do not hit the database every time
# sku -> (monotonic expiry, ProductInfo or _MISSING). A plain dict: single reads and writes are atomic,
# and a racing thread at worst reads Redis once more. A forked child's copy expires like any entry.
_recent: dict[str, tuple[float, ProductInfo | str]] = {}


def _cache_key(sku: str) -> str:
    return f"catalogue:v1:{sku}"


def product_infos(skus: Iterable[str]) -> dict[str, ProductInfo]:
    """What the catalogue says now about each known sku (unknown skus are simply absent)."""
    wanted, now = set(skus), time.monotonic()
    found: dict[str, ProductInfo | str] = {}
    for sku in wanted:
        recent = _recent.get(sku)
        if recent is not None and recent[0] > now:
            found[sku] = recent[1]
    if len(found) < len(wanted):
        fetched = _from_shared_cache(wanted - found.keys())
        expiry = now + LOCAL_SECONDS
        for sku, info in fetched.items():
            _recent[sku] = (expiry, info)
        found.update(fetched)
    return {sku: info for sku, info in found.items() if isinstance(info, ProductInfo)}


def _from_shared_cache(wanted: set[str]) -> dict[str, ProductInfo | str]:
    """Each sku's ProductInfo or _MISSING, from Redis, else from the database (then cached in Redis)."""
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
    return found


def forget_recent() -> None:
    """Drop this process's one-second memory of the catalogue (tests: a rolled-back product sends no signal)."""
    _recent.clear()


def _from_database(skus: set[str]) -> dict[str, ProductInfo]:
    rows = Product.objects.filter(sku__in=skus).values_list("sku", "name", "unit_price", "currency", "active")
    return {sku: ProductInfo(sku=sku, name=name, unit_price=price, currency=currency, active=active)
            for sku, name, price, currency, active in rows}


@receiver([post_save, post_delete], sender=Product, dispatch_uid="catalogue-cache-invalidation")
def forget_cached_product(sender: type[Product], instance: Product, **kwargs: object) -> None:
    """A saved or deleted product must be read afresh by the next order."""
    _recent.pop(instance.sku, None)
    cache.delete(_cache_key(instance.sku))
