"""Scenario 4: poison events in the inventory read model's feed (policy "park").

Two kinds, both parked while the rest flows (orders keep being confirmed, other skus projected):

- an event no code can read: a `StockReceived` whose stored payload is not JSON, appended raw
  through `EventStore.append`. Retrying it fails again and says why; the fix for an event that
  nothing will ever decode is to discard it (history is never rewritten; its sku is written off).
- a good event that failed because of its surroundings: the read-model document it folds into was
  clobbered by a stray write (not JSON). Retrying after the operator removed the bad key works,
  and the event is applied exactly once. A fix deployed as code (a new upcaster) would need the
  worker restarted; what a test can change across processes realistically is the environment,
  so this is the "transient condition, then retry" case.

They sit on inventory streams on purpose: fulfillment (policy "halt", order streams only) never
sees them, so the order flow must not notice anything.
"""
from __future__ import annotations

from uuid import uuid4

import pytest
import requests

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation
from projections.inventory import NAME as INVENTORY
from projections.inventory import level_key
from tests.faults.checks import assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import acknowledged, create_order, statuses
from tests.faults.stack import HTTP_TIMEOUT, Stack, wait_until

pytestmark = pytest.mark.faults

SKU = "FAULT-A"
RAW = "POISON-RAW"
ENV = "POISON-ENV"
DEAD = f"/api/projections/{INVENTORY}/dead-letters/"


class Staff:
    """The staff user's API session on the stack (paths in, 127.0.0.1 only)."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.http = stack, stack.staff()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.stack.url(path), timeout=HTTP_TIMEOUT)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(self.stack.url(path), json=body, timeout=HTTP_TIMEOUT)


def dead_letters(staff: Staff) -> dict[str, dict]:
    response = staff.get(DEAD)
    assert response.status_code == 200, response.text
    return {letter["event_id"]: letter for letter in response.json()}


def test_poison_events_are_parked_the_rest_flows_and_retry_after_a_fix_works(stack: Stack):
    stack.receive_stock(SKU, 100)
    settle(stack)
    staff = Staff(stack)

    # An undecodable event of a registered type, appended raw.
    raw_id = uuid4()
    stack.store.append(f"inventory-{RAW}", [NewEvent(raw_id, "StockReceived", 1, b'{"sku": "POISON-RAW", "quantity": ',
                                                     EventMetadata(uuid4(), None, "staff:1"))],
                       expected_version=NO_STREAM)
    # A good event whose read-model document was clobbered before it arrived.
    generation = live_generation(stack.redis, INVENTORY)
    clobbered = keys.read_model_key(INVENTORY, generation, level_key(ENV))
    stack.redis.set(clobbered, "not json: written by a stray script")
    env_event = stack.receive_stock(ENV, 7)["events"][0]["event_id"]

    # The rest flows: orders placed after the poison are confirmed and projected.
    outcomes = [create_order(stack, stack.customer(n), customer=n, lines=[(SKU, 2)]) for n in range(10)]
    assert statuses(outcomes) == {201: 10}
    settle(stack)
    parked = wait_until(lambda: (d := dead_letters(staff)) and len(d) == 2 and d, timeout=20,
                        what="both poison events to be parked")
    assert set(parked) == {str(raw_id), env_event}, parked
    assert "malformed JSON" in parked[str(raw_id)]["error"], parked[str(raw_id)]
    assert parked[env_event]["attempts"] >= 5 and "JSONDecodeError" in parked[env_event]["error"], parked[env_event]
    level = staff.get(f"/api/inventory/{SKU}/").json()
    assert (level["on_hand"], level["reserved"]) == (100, 20), level
    orders = acknowledged(outcomes)
    streams = assert_ledger(stack, orders)
    assert all(type(events[-1].data).__name__ == "OrderConfirmed" for events in streams.values())
    assert stack.redis.get(clobbered).startswith(b"not json")  # not applied (nor readable: that sku's API read fails)

    # Retrying before any fix fails again, and says why; the records stay.
    retried = staff.post(f"{DEAD}retry/", {"event_ids": [str(raw_id), env_event]})
    assert retried.status_code == 200, retried.text
    assert [o["succeeded"] for o in retried.json()["outcomes"]] == [False, False], retried.json()
    assert len(dead_letters(staff)) == 2

    # The fixes: the operator removes the stray key, then retries; the unreadable event is discarded.
    stack.redis.delete(clobbered)
    retried = staff.post(f"{DEAD}retry/", {"event_ids": [env_event]})
    assert retried.json()["outcomes"] == [{"event_id": env_event, "succeeded": True, "error": None}], retried.json()
    discarded = staff.post(f"{DEAD}discard/", {"event_ids": [str(raw_id)]})
    assert discarded.json() == {"discarded": [str(raw_id)]}, discarded.text
    assert dead_letters(staff) == {}

    # Applied exactly once, and a second retry finds nothing to apply.
    level = staff.get(f"/api/inventory/{ENV}/").json()
    assert (level["on_hand"], level["available"]) == (7, 7), level
    again = staff.post(f"{DEAD}retry/", {"event_ids": [env_event]}).json()
    assert again["outcomes"][0]["succeeded"] is False
    assert staff.get(f"/api/inventory/{ENV}/").json()["on_hand"] == 7

    # Nothing halted, and new events still flow after the repairs.
    more = create_order(stack, stack.customer(0), customer=0, lines=[(ENV, 3)])
    assert more.status == 201, more.body
    settle(stack)
    assert_ledger(stack, {**orders, **acknowledged([more])})
    level = staff.get(f"/api/inventory/{ENV}/").json()
    assert (level["on_hand"], level["reserved"]) == (7, 3), level
    assert_read_models_equal_fresh_rebuild(stack)

