"""`python manage.py eventstore --host 127.0.0.1 --port 2113 --data var/eventstore` (or --memory)."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Run the embedded EventStoreDB-compatible development server (same as `python -m eventlog.server`)."""

    help = "Run the embedded, unauthenticated EventStoreDB-compatible development event store."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
        parser.add_argument("--port", type=int, default=2113)
        parser.add_argument("--advertise-host", default=None, help="host name reported by gossip")
        parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                            help="SQLite fsync policy: full (default) survives power loss, normal only a crash")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--data", type=Path, help="directory of the SQLite event log")
        where.add_argument("--memory", action="store_true", help="keep events in memory only")

    def handle(self, *args, **options) -> None:
        from eventlog.server.server import main  # imported here: the server itself needs no Django

        argv = ["--host", options["host"], "--port", str(options["port"]),
                "--synchronous", options["synchronous"]]
        if options["advertise_host"]:
            argv += ["--advertise-host", options["advertise_host"]]
        argv += ["--memory"] if options["memory"] else ["--data", str(options["data"])]
        status = main(argv)
        if status:
            raise CommandError(f"the event store exited with status {status}")
