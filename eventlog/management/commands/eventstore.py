"""`python manage.py eventstore --host 127.0.0.1 --port 2113 --data var/eventstore` (or --memory)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Run the embedded EventStoreDB-compatible development server (same as `python -m eventlog.server`)."""

    help = "Run the embedded, unauthenticated EventStoreDB-compatible development event store."

    def add_arguments(self, parser: CommandParser) -> None:
        from eventlog.server.server import add_arguments  # the server itself needs no Django

        add_arguments(parser)

    def handle(self, *args: str, **options: Any) -> None:
        from eventlog.server.server import main

        argv = ["--host", options["host"], "--port", str(options["port"]),
                "--synchronous", options["synchronous"]]
        if options["advertise_host"]:
            argv += ["--advertise-host", options["advertise_host"]]
        argv += ["--memory"] if options["memory"] else ["--data", str(options["data"])]
        status = main(argv)
        if status:
            raise CommandError(f"the event store exited with status {status}")
