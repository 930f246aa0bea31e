"""The "inventory" read model: on hand / reserved / available per sku and the low-stock set."""
from __future__ import annotations

from uuid import uuid4

import pytest

from orders.domain.commands import AdjustStock, ReleaseStock, ReserveStock, ShipStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from projections import selectors
from projections.inventory import LOW_STOCK_THRESHOLD, InventoryProjection

from .conftest import STAFF, events_of, inventory_streams, project, receive

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor("system", "tests")


def test_levels_follow_receipts_reservations_releases_shipments_and_adjustments(app_store, redis_client, unique):
    mug, tee, pen = (f"{stem}-{unique}".upper() for stem in ("MUG", "TEE", "PEN"))
    first, second = uuid4(), uuid4()
    receive(mug, 10)
    dispatch(ReserveStock(sku=mug, order_id=first, quantity=4), actor=SYSTEM)
    dispatch(ReserveStock(sku=mug, order_id=second, quantity=3), actor=SYSTEM)
    dispatch(ShipStock(sku=mug, order_id=first), actor=SYSTEM)
    dispatch(AdjustStock(sku=mug, delta=-1, reason="broken"), actor=STAFF)
    receive(tee, 20)
    dispatch(ReserveStock(sku=tee, order_id=first, quantity=16), actor=SYSTEM)
    dispatch(ReleaseStock(sku=tee, order_id=first), actor=SYSTEM)
    receive(pen, 4)
    events = events_of(app_store, *inventory_streams(mug, tee, pen))

    project(redis_client, InventoryProjection(), events)

    mugs = selectors.get_stock_level(mug, client=redis_client)
    assert (mugs.on_hand, mugs.reserved, mugs.available, mugs.is_low) == (5, 3, 2, True)
    assert mugs.version == 4 and mugs.updated_at == events_of(app_store, f"inventory-{mug}")[-1].recorded_at
    tees = selectors.get_stock_level(tee, client=redis_client)
    assert (tees.on_hand, tees.reserved, tees.available, tees.is_low) == (20, 0, 20, False)
    assert [level.sku for level in selectors.list_stock_levels(client=redis_client)] == sorted([mug, tee, pen])
    assert [(level.sku, level.available) for level in selectors.list_low_stock(client=redis_client)] == [
        (mug, 2), (pen, 4)]
    assert all(level.available <= LOW_STOCK_THRESHOLD for level in selectors.list_low_stock(client=redis_client))


def test_a_sku_leaves_the_low_stock_set_when_restocked(app_store, redis_client, unique):
    sku = f"LOW-{unique}".upper()
    receive(sku, 1)
    project(redis_client, InventoryProjection(), events_of(app_store, f"inventory-{sku}"))
    assert [level.sku for level in selectors.list_low_stock(client=redis_client)] == [sku]
    position = events_of(app_store, f"inventory-{sku}")[-1].commit_position

    receive(sku, 50)
    later = [e for e in events_of(app_store, f"inventory-{sku}") if e.commit_position > position]
    project(redis_client, InventoryProjection(), later)

    assert selectors.list_low_stock(client=redis_client) == []
    assert selectors.get_stock_level(sku, client=redis_client).available == 51


def test_an_unknown_sku_has_no_level(redis_client):
    assert selectors.get_stock_level("NOPE-1", client=redis_client) is None
    assert selectors.list_stock_levels(client=redis_client) == []
