from __future__ import annotations

from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"

    def ready(self) -> None:
        from eventlog import hooks
        from projections import head, subscribers
        from projections.nudge import send_nudge

        subscribers.register()
        hooks.on_append(send_nudge)  # after a command's events are stored, wake the workers
        hooks.on_append(head.record_append)  # and publish where they landed (freshness notes read it)
