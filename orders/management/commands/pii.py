"""`python manage.py pii status | rotate-master-key | reapply-erasures`: the customers' data keys (eventlog/pii).

One small function per subcommand, listed in SUBCOMMANDS; erasure's `reapply-erasures` joins them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventlog import pii


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One `manage.py pii <name>`: its help, what it runs, and its own arguments if any."""

    help: str
    run: Callable[[BaseCommand, dict[str, Any]], None]
    arguments: Callable[[CommandParser], None] | None = None


def status(command: BaseCommand, options: dict[str, Any]) -> None:
    """Keys live and erased, under which master keys, and the keyring's health (exit 1 when unhealthy)."""
    keyring = pii.keyring()
    current = keyring.master.current_fingerprint
    known = keyring.master.known_fingerprints
    command.stdout.write(f"master key: {current or 'none'}; previous: "
                         f"{', '.join(sorted(known - {current})) or 'none'}")
    try:
        summary = keyring.table.summary()
    except pii.KeyringUnavailableError as error:
        raise CommandError(str(error)) from None
    command.stdout.write(f"data keys: {sum(summary.live_by_master.values())} live, {summary.erased} erased")
    for fingerprint, count in sorted(summary.live_by_master.items()):
        role = "current" if fingerprint == current else "previous" if fingerprint in known else "NOT CONFIGURED"
        command.stdout.write(f"  under {fingerprint} ({role}): {count}")
    health = keyring.health()
    command.stdout.write(f"health: {'ok' if health.ok else 'NOT OK'}: {health.detail}")
    if not health.ok:
        raise CommandError("the keyring is not healthy (see above)")


def rotate_master_key(command: BaseCommand, options: dict[str, Any]) -> None:
    """Rewrap every live key under the current PII_MASTER_KEY (old ones from PII_PREVIOUS_MASTER_KEYS)."""
    keyring = pii.keyring()
    try:
        before = keyring.table.summary()
        result = keyring.rotate()
    except pii.KeyringUnavailableError as error:
        raise CommandError(str(error)) from None
    already = before.live_by_master.get(result.current, 0)
    command.stdout.write(f"rewrapped {result.rewrapped} data key(s) under master key {result.current}; "
                         f"{already} already were; {before.erased} erased key(s) have nothing to rewrap")
    if result.failed:
        raise CommandError(f"{result.failed} data key(s) open under no configured master key and were left as "
                           "they were: add their master key to PII_PREVIOUS_MASTER_KEYS and run this again")
    command.stdout.write("every live data key is under the current master key: the previous ones are no longer "
                         "needed")


def reapply_erasures(command: BaseCommand, options: dict[str, Any]) -> None:
    """Apply every recorded erasure again (after a database restore; `make run` and workers do it at start)."""
    from orders.privacy.erasure import reapply_erasures as reapply

    command.stdout.write(f"re-applied {reapply()} erasure(s) recorded in the event store")


SUBCOMMANDS: dict[str, Subcommand] = {
    "status": Subcommand("data keys live and erased, by master key, and the keyring's health", status),
    "rotate-master-key": Subcommand("rewrap every customer's data key with the current PII_MASTER_KEY "
                                    "(idempotent; safe to rerun after a crash)", rotate_master_key),
    "reapply-erasures": Subcommand("apply every CustomerErased in the event store again (after restoring a "
                                   "database backup: erased customers stay erased; idempotent)", reapply_erasures),
}


class Command(BaseCommand):
    help = "The customers' personal-data keys: status, master key rotation, re-applying erasures."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            sub = actions.add_parser(name, help=subcommand.help)
            if subcommand.arguments is not None:
                subcommand.arguments(sub)

    def handle(self, *args: str, action: str, **options: Any) -> None:
        SUBCOMMANDS[action].run(self, options)
