"""Staff admin: the projections console (status, dead letters, blue/green rebuilds)."""
from __future__ import annotations

import html

from eventlog import connections
from eventlog.subscriptions import keys
from eventlog.subscriptions.dead_letters import DeadLetter, Failure
from orders.domain.commands import AddOrderNote
from orders.handlers import dispatch
from projections import selectors
from projections.tasks import rebuild_read_model
from tests.web.conftest import STAFF_ACTOR, place, project

CONSOLE = "/admin/projections/subscribers/"
LETTERS = "/admin/projections/subscribers/orders/dead-letters/"


def test_the_console_shows_every_subscriber_with_checkpoint_head_lag_generation_and_state(staff_client, customer_a,
                                                                                        stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    dispatch(AddOrderNote(order_id=order_id, text="behind"), actor=STAFF_ACTOR)  # nobody projects this one

    response = staff_client.get(CONSOLE)

    page = response.content.decode()
    statuses = {row.status.name: row.status for row in response.context["rows"]}
    assert set(statuses) == {"orders", "inventory", "sales", "customer_timeline", "fulfillment", "notifications"}
    assert statuses["orders"].lag_events == 1 and statuses["inventory"].lag_events == 0
    assert statuses["orders"].head == connections.event_store().head_position()
    for name in statuses:
        assert f'id="sub-{name}"' in page
    assert 'id="rebuild-orders"' in page and 'id="rebuild-fulfillment"' not in page  # process managers: no
    assert 'id="rebuild-notifications"' not in page  # nor customer emails: a rebuild would mail again
    assert "not rebuildable" in page


def parked(redis_client, order_id):
    """Park the order's newest event for the orders read model, as a failed run would have."""
    event = connections.event_store().read_stream(f"order-{order_id}", backwards=True, limit=1)[0]
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        failure = Failure.of(error)
    letter = DeadLetter.of("orders", event, failure, policy="park", generation=1)
    redis_client.hset(keys.dead_letters("orders"), letter.event_id, letter.to_json())
    redis_client.set(keys.checkpoint("orders", 1), event.commit_position)  # the run went past it
    return letter


def test_dead_letters_show_payload_error_and_traceback(staff_client, customer_a, stocked, redis_client):
    order_id = place(customer_a, (stocked(), 1))
    project()
    dispatch(AddOrderNote(order_id=order_id, text="parked note"), actor=STAFF_ACTOR)
    parked(redis_client, order_id)

    page = html.unescape(staff_client.get(LETTERS).content.decode())

    assert "RuntimeError: boom" in page and "Traceback (most recent call last)" in page
    assert '"text": "parked note"' in page and "OrderNoteAdded" in page and "park (gen 1)" in page
    assert 'class="dead-letters">1<' in html.unescape(staff_client.get(CONSOLE).content.decode())


def test_a_retried_dead_letter_is_applied_and_disappears(staff_client, customer_a, stocked, redis_client):
    order_id = place(customer_a, (stocked(), 1))
    project()
    dispatch(AddOrderNote(order_id=order_id, text="late"), actor=STAFF_ACTOR)
    letter = parked(redis_client, order_id)
    assert selectors.get_order(order_id).note_count == 0

    response = staff_client.post(LETTERS, {"event_id": [letter.event_id], "_retry": "1"}, follow=True)

    assert f"Event {letter.event_id} applied" in response.content.decode()
    assert selectors.get_order(order_id).note_count == 1
    assert "No dead letters" in response.content.decode()


def test_dead_letters_can_be_discarded_one_many_or_all(staff_client, customer_a, stocked, redis_client):
    ids = []
    for _ in range(3):
        order_id = place(customer_a, (stocked(), 1))
        project()
        dispatch(AddOrderNote(order_id=order_id, text="x"), actor=STAFF_ACTOR)
        ids.append(parked(redis_client, order_id).event_id)

    one = staff_client.post(LETTERS, {"event_id": ids[:1], "_discard": "1"}, follow=True).content.decode()
    assert "Discarded 1 dead letter." in one and ids[0] not in one and ids[1] in one
    nothing = staff_client.post(LETTERS, {"_discard": "1"}, follow=True).content.decode()
    assert "Select at least one" in nothing
    everything = staff_client.post(LETTERS, {"_all": "1"}, follow=True).content.decode()
    assert "Discarded 2 dead letters." in everything and "No dead letters" in everything
    assert staff_client.get("/admin/projections/subscribers/nope/dead-letters/").status_code == 404


def test_a_rebuild_is_queued_for_a_worker_and_its_progress_shown(staff_client, customer_a, stocked, monkeypatch):
    order_id = place(customer_a, (stocked(), 1))
    project()
    queued = []
    monkeypatch.setattr(rebuild_read_model, "delay", lambda name: queued.append(name))

    response = staff_client.post("/admin/projections/subscribers/orders/rebuild/", follow=True)

    assert queued == ["orders"] and "Rebuild of orders requested" in response.content.decode()
    assert "waiting for a worker" in response.content.decode()
    assert 'hx-trigger="every 2s"' in response.content.decode()  # the table polls while a rebuild is on
    refused = staff_client.post("/admin/projections/subscribers/fulfillment/rebuild/", follow=True)
    assert "cannot be rebuilt" in refused.content.decode() and queued == ["orders"]
    assert staff_client.post("/admin/projections/subscribers/nope/rebuild/").status_code == 404

    # What the worker runs: the read model switches to a new generation with the same contents.
    before = selectors.get_order(order_id)
    rebuild_read_model.run("orders")
    fragment = staff_client.get(CONSOLE, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="subscribers"')
    orders_row = next(row for row in fragment.context["rows"] if row.status.name == "orders")
    assert orders_row.status.generation == 2 and not orders_row.rebuild_requested
    assert selectors.get_order(order_id) == before


def test_a_partitioned_subscriber_shows_each_partition_in_the_console_and_in_status(staff_client, redis_client):
    from io import StringIO

    from django.core.management import call_command

    head = connections.event_store().head_position()
    redis_client.set(keys.partition_count("orders"), 4)  # served in four partitions; the code asks for one
    for index in range(4):
        redis_client.set(keys.checkpoint(f"{{orders.p{index}of4}}", 1), head)
    redis_client.set(keys.lock("{orders.p2of4}"), "7 worker-b:4242", px=5000)

    page = staff_client.get(CONSOLE).content.decode()

    assert all(f'id="part-orders-{index}"' in page for index in range(4))
    assert "partition 2 of 4" in page and "held by 7 worker-b:4242" in page
    assert "4 partitions" in page and "with 1 partition: rebuild due" in page  # changing P is a rebuild
    out = StringIO()
    call_command("projections", "status", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.strip().startswith("orders[2/4]") and "running" in line and "worker-b:4242" in line
               for line in lines), lines
    assert any("P=4 (code v" in line and "P=1: rebuild-outdated" in line for line in lines), lines
