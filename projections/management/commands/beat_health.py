"""Beat's healthcheck: fail when its heartbeat in Redis is missing or older than --max-age seconds."""
from __future__ import annotations

import redis
from django.core.management.base import BaseCommand, CommandError

from config.beat import HEARTBEAT_KEY, heartbeat_age
from eventlog import connections


class Command(BaseCommand):
    help = "Exit 0 when Celery beat stamped its heartbeat recently, non-zero otherwise."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--max-age", type=float, default=60.0,
                            help="Oldest acceptable heartbeat, in seconds (default 60).")

    def handle(self, *args, max_age: float, **options) -> None:
        try:
            age = heartbeat_age(connections.redis())
        except redis.RedisError as error:
            raise CommandError(f"cannot read the beat heartbeat from Redis: {error}") from None
        if age is None:
            raise CommandError(f"beat has not written its heartbeat ({HEARTBEAT_KEY}) yet")
        if age > max_age:
            raise CommandError(f"beat's last heartbeat is {age:.0f}s old (more than {max_age:.0f}s)")
        self.stdout.write(f"beat ticked {age:.1f}s ago")
