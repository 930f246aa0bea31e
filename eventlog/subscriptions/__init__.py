"""Catch-up subscriptions over $all: projections and process managers are run by the same runner.

Modules (no Django here: callers pass an EventStore and a redis client); import from them directly:
- runner.run_subscriber: catch one subscriber up (the Celery nudge and beat tasks call it)
- subscribers.register_subscriber / all_subscribers: what the runner feeds, registered by each app's ready()
- status.status / lag.measure_lag: where a subscriber is and how far behind
- dead_letters (list, retry, discard): the way out for poison events
- rebuild (rebuild, delete_generation, abandon_rebuild): blue/green rebuilds of read models
- consistency.wait_for_position: read-your-writes for pages and API calls
"""
from __future__ import annotations
