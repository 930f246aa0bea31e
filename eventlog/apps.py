from __future__ import annotations

from django.apps import AppConfig


class EventlogConfig(AppConfig):
    name = "eventlog"
    verbose_name = "Event log"

    def ready(self) -> None:
        from django.conf import settings

        from eventlog import connections
        from eventlog.subscriptions.subscribers import configure_partitions

        # The one wiring place: every call site gets its event store and Redis from here.
        connections.configure(eventstore_url=settings.EVENTSTORE_URL, redis_cache_alias="default")
        configure_partitions(settings.SUBSCRIBER_PARTITIONS)
