"""Staff admin: any aggregate's event timeline with time travel, and the event browser over $all."""
from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from orders.admin import events as admin_events
from orders.domain.commands import AddOrderNote
from orders.handlers import dispatch
from orders.timelines import order_timeline
from tests.web.conftest import STAFF_ACTOR, place, project

BROWSER = "/admin/eventlog/events/"


def test_an_order_timeline_lists_every_event_with_its_envelope(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 2))
    project()
    first = order_timeline(order_id).entries[0].event

    response = staff_client.get(f"/admin/eventlog/stream/order-{order_id}/")

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "OrderCreated" in page and "OrderConfirmed" in page and 'id="v0"' in page and 'id="v1"' in page
    assert f"customer:{customer_a.pk}" in page and "system:fulfillment" in page
    assert str(first.metadata.correlation_id) in page and str(first.event_id) in page
    assert '"quantity": 2' in page  # decoded data
    # By default the newest version is selected: its state and what it changed.
    assert "State as of version 1" in page and '"status": "CONFIRMED"' in page
    assert '<td><del>"PENDING"</del></td><td><ins>"CONFIRMED"</ins></td>' in page


def test_view_as_of_any_version_with_the_diff_from_the_one_before(staff_client, customer_a, stocked, monkeypatch):
    order_id = place(customer_a, (stocked(), 1))
    project()
    for n in range(4):
        dispatch(AddOrderNote(order_id=order_id, text=f"note {n}"), actor=STAFF_ACTOR)
    url = f"/admin/eventlog/stream/order-{order_id}/"

    as_of_0 = html.unescape(staff_client.get(url, {"version": 0}).content.decode())
    assert "State as of version 0" in as_of_0 and '"status": "PENDING"' in as_of_0
    assert "note 0" not in as_of_0.split('id="state"')[1].split("</pre>")[0]

    monkeypatch.setattr(admin_events, "TIMELINE_PAGE", 2)  # versions 4-5 shown; 2 is outside the window
    windowed = staff_client.get(url, {"version": 2})
    page = html.unescape(windowed.content.decode())
    assert [row["version"] for row in windowed.context["rows"]] == [4, 5]
    assert "State as of version 2" in page and "notes.0" not in page
    assert "<td class=\"es-mono\">notes</td>" in page and "note 0" in page
    assert "?from=2" in page  # older events
    assert staff_client.get(url, {"version": 99}).status_code == 404


def test_an_inventory_timeline(staff_client, customer_a, stocked):
    sku = stocked(quantity=4)
    order_id = place(customer_a, (sku, 3))
    project()

    page = html.unescape(staff_client.get(f"/admin/eventlog/stream/inventory-{sku}/").content.decode())

    assert "StockReceived" in page and "StockReserved" in page and f"Reserved 3 for order {order_id}" in page
    assert '"on_hand": 4' in page


def test_unknown_streams_are_404_and_the_lookup_box_jumps_to_a_stream(staff_client, customer_a, stocked):
    assert staff_client.get(f"/admin/eventlog/stream/order-{uuid4()}/").status_code == 404
    assert staff_client.get("/admin/eventlog/stream/whatever-1/").status_code == 404
    response = staff_client.get("/admin/eventlog/stream/", {"stream": "inventory-X"})
    assert response.status_code == 302 and response["Location"] == "/admin/eventlog/stream/inventory-X/"


def test_the_browser_follows_a_correlation_id_across_aggregates(staff_client, customer_a, stocked):
    mug, tee = stocked("Mug"), stocked("Tee")
    order_id = place(customer_a, (mug, 1), (tee, 2))
    place(customer_a, (mug, 1))  # another conversation
    project()
    correlation = order_timeline(order_id).entries[0].event.metadata.correlation_id

    response = staff_client.get(BROWSER, {"correlation_id": str(correlation)})

    rows = response.context["rows"]
    streams = {row["event"].stream_name for row in rows}
    assert streams >= {f"order-{order_id}", f"inventory-{mug}", f"inventory-{tee}"}
    assert {row["event"].event_type for row in rows} >= {"OrderCreated", "StockReserved", "OrderConfirmed"}
    assert all(row["event"].metadata.correlation_id == correlation for row in rows)
    assert not any(name.startswith(("idempotency-", "snapshot-")) for name in streams)  # bookkeeping hidden
    positions = [row["event"].commit_position for row in rows]
    assert positions == sorted(positions, reverse=True)  # newest first
    assert 'id="correlation-summary"' in response.content.decode()


def test_bookkeeping_streams_show_only_when_asked_for_by_prefix(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    correlation = order_timeline(order_id).entries[0].event.metadata.correlation_id
    # A keyed command in the same conversation leaves an idempotency record beside its events.
    dispatch(AddOrderNote(order_id=order_id, text="keyed"), actor=STAFF_ACTOR, idempotency_key="note-1",
             correlation_id=correlation)

    everything = staff_client.get(BROWSER, {"correlation_id": str(correlation)}).context["rows"]
    bookkeeping = staff_client.get(BROWSER, {"correlation_id": str(correlation),
                                             "stream_prefix": "idempotency-"}).context["rows"]

    assert not any(row["event"].stream_name.startswith("idempotency-") for row in everything)
    assert [row["event"].event_type for row in bookkeeping] == ["IdempotentCommandRecorded"]


def test_the_browser_filters_by_prefix_type_and_time_and_pages_by_position(staff_client, customer_a, stocked,
                                                                         monkeypatch):
    mug = stocked()
    orders = [place(customer_a, (mug, 1)) for _ in range(3)]
    project()
    monkeypatch.setattr(admin_events, "BROWSER_PAGE", 2)

    first = staff_client.get(BROWSER, {"stream_prefix": "order-", "event_type": "OrderCreated"})
    assert [r["event"].stream_name for r in first.context["rows"]] == [f"order-{o}" for o in orders[::-1][:2]]
    second = staff_client.get(BROWSER + first.context["next_url"])
    assert second.context["rows"][0]["event"].stream_name == f"order-{orders[0]}"

    by_type = staff_client.get(BROWSER, {"event_type": "StockReserved"}).context["rows"]
    assert by_type and all(r["event"].event_type == "StockReserved" for r in by_type)
    inventory = staff_client.get(BROWSER, {"stream_prefix": f"inventory-{mug}"}).context["rows"]
    assert {r["event"].stream_name for r in inventory} == {f"inventory-{mug}"}

    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert staff_client.get(BROWSER, {"since": future}).context["rows"] == []
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert staff_client.get(BROWSER, {"until": past, "stream_prefix": f"inventory-{mug}"}).context["rows"] == []
    bad = staff_client.get(BROWSER, {"since": future, "until": past})
    assert bad.status_code == 400 and "must be after" in bad.content.decode()


def test_the_browser_says_when_the_scan_limit_was_hit(staff_client, customer_a, stocked, monkeypatch):
    mug = stocked()
    project()
    for _ in range(3):
        place(customer_a, (mug, 1))
    monkeypatch.setattr(admin_events, "SCAN_LIMIT", 2)

    response = staff_client.get(BROWSER, {"correlation_id": str(uuid4())})

    page = html.unescape(response.content.decode())
    assert response.context["page"].scan_limit_hit and 'id="scan-limit"' in page
    assert "Keep scanning older events" in page and "before=" in response.context["next_url"]


def test_the_browser_shows_personal_fields_opened_and_erased_once_the_key_is_gone(staff_client, customer_a, stocked):
    from eventlog.pii import ERASED, keyring

    order_id = place(customer_a, (stocked(), 1))
    query = {"stream_prefix": f"order-{order_id}"}

    before = staff_client.get(BROWSER, query)
    keyring().destroy(str(customer_a.pk))
    after = staff_client.get(BROWSER, query)

    [shown] = [row["event"].data for row in before.context["rows"]]
    [erased] = [row["event"].data for row in after.context["rows"]]
    assert shown["shipping_address"]["line1"] == "12 Example Street" and "12 Example Street" in before.content.decode()
    assert erased["shipping_address"]["line1"] == ERASED and erased["contact_email"] == ERASED
    assert erased["shipping_address"]["country"] == "GB" and "12 Example Street" not in after.content.decode()
