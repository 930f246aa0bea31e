"""The write side's catalogue lookup: a saved price counts at once here, and within a second elsewhere."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from orders import catalogue
from orders.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(redis_client) -> None:
    """The lookup's Redis cache starts empty (redis_client flushes it)."""


def test_a_saved_price_counts_for_the_next_order_at_once() -> None:
    product = Product.objects.create(sku="LOOKUP-MUG", name="Mug", unit_price=Decimal("9.90"))
    assert catalogue.product_infos(["LOOKUP-MUG"])["LOOKUP-MUG"].unit_price == Decimal("9.90")
    product.unit_price = Decimal("12.50")
    product.save()
    assert catalogue.product_infos(["LOOKUP-MUG"])["LOOKUP-MUG"].unit_price == Decimal("12.50")


def test_what_another_process_saved_counts_once_the_memory_expires(monkeypatch, redis_client) -> None:
    monkeypatch.setattr(catalogue, "LOCAL_SECONDS", 0.2)
    Product.objects.create(sku="LOOKUP-TEE", name="Tee", unit_price=Decimal("20.00"))
    assert catalogue.product_infos(["LOOKUP-TEE"])["LOOKUP-TEE"].unit_price == Decimal("20.00")
    # Another process saves: its signal empties the Redis entry, not this process's memory.
    Product.objects.filter(sku="LOOKUP-TEE").update(unit_price=Decimal("25.00"))
    redis_client.flushdb()
    assert catalogue.product_infos(["LOOKUP-TEE"])["LOOKUP-TEE"].unit_price == Decimal("20.00")
    time.sleep(0.25)
    assert catalogue.product_infos(["LOOKUP-TEE"])["LOOKUP-TEE"].unit_price == Decimal("25.00")


def test_an_unknown_sku_stays_unknown_until_it_is_created() -> None:
    assert catalogue.product_infos(["LOOKUP-CAP"]) == {}
    Product.objects.create(sku="LOOKUP-CAP", name="Cap", unit_price=Decimal("5.00"))
    assert catalogue.product_infos(["LOOKUP-CAP"])["LOOKUP-CAP"].unit_price == Decimal("5.00")
