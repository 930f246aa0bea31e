from __future__ import annotations

from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"

    def ready(self) -> None:
        from orders.handlers import command_committed
        from projections.nudge import send_nudge

        command_committed.connect(send_nudge, dispatch_uid="projections-nudge")
