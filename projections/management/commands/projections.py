"""`python manage.py projections status | catch-up | rebuild NAME|--all | rebuild-outdated | dead-letters ...`."""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventlog import connections
from eventlog.subscriptions import dead_letters
from eventlog.subscriptions.rebuild import RebuildProgress, rebuild
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import SubscriberStatus, status
from eventlog.subscriptions.subscribers import all_subscribers, subscriber
from eventlog.subscriptions.versions import rebuild_outdated
from projections.subscribers import READ_MODELS


class Command(BaseCommand):
    help = "Inspect and repair the read side: status, catch-up, blue/green rebuilds, dead letters."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="checkpoint, head, lag, dead letters and generation of each subscriber")
        catch = actions.add_parser("catch-up", help="run subscribers up to the head now (as a worker would)")
        catch.add_argument("names", nargs="*")
        build = actions.add_parser("rebuild", help="fill a new generation from position 0, then switch to it")
        build.add_argument("names", nargs="*")
        build.add_argument("--all", action="store_true", dest="all_read_models")
        actions.add_parser("rebuild-outdated", help="rebuild (blue/green) every read model whose serving generation "
                                                    "was built by another version of its code")
        dead = actions.add_parser("dead-letters", help="list, retry or discard parked events")
        dead.add_argument("verb", choices=["list", "retry", "discard"])
        dead.add_argument("name")
        dead.add_argument("event_ids", nargs="*")
        dead.add_argument("--all", action="store_true", dest="all_events")

    def handle(self, *args: object, action: str, **options: object) -> None:
        self.client = connections.redis()
        self.store = connections.event_store()
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _subscriber(self, name: str):
        try:
            return subscriber(name)
        except KeyError:
            known = ", ".join(s.spec.name for s in all_subscribers())
            raise CommandError(f"no subscriber named {name!r} (known: {known})") from None

    def _status(self, **options: object) -> None:
        self.stdout.write(f"{'subscriber':<16}{'state':<12}{'gen':>4}{'checkpoint':>12}{'head':>12}"
                          f"{'lag':>9}{'lag s':>9}{'dead':>6}  version")
        for candidate in all_subscribers():
            s = status(candidate, store=self.store, redis_client=self.client)
            self.stdout.write(f"{s.name:<16}{s.state:<12}{s.generation:>4}{s.checkpoint or 0:>12}{s.head:>12}"
                              f"{s.lag_display:>9}{s.lag_seconds:>9.1f}{s.dead_letters:>6}  {_version(s)}")
            for part in s.partitions:  # a partitioned subscriber: each partition's own checkpoint, lease, lag
                holder = f"  held by {part.lock_holder.partition(' ')[2]}" if part.lock_holder else ""
                self.stdout.write(f"  {part.label:<14}{part.state:<12}{'':>4}{part.checkpoint or 0:>12}{'':>12}"
                                  f"{part.lag_display:>9}{part.lag_seconds:>9.1f}{part.dead_letters:>6}{holder}")
            if s.last_error:
                self.stdout.write(f"    last error ({s.last_error_at}): {s.last_error}")
            if s.rebuild:
                self.stdout.write(f"    rebuild into generation {s.rebuild.generation}: {s.rebuild.done} events done"
                                  f"{' (running)' if s.rebuild.running else ' (interrupted; run rebuild again)'}")

    def _catch_up(self, names: list[str], **options: object) -> None:
        for candidate in [self._subscriber(n) for n in names] or all_subscribers():
            result = run_subscriber(candidate, store=self.store, redis_client=self.client)
            for line in [result, *result.partitions]:
                self.stdout.write(f"{'  ' if line is not result else ''}{line.name}: applied {line.applied}, "
                                  f"parked {line.parked}{', busy' if line.busy else ''}"
                                  f"{', HALTED' if line.halted else ''}")

    def _rebuild(self, names: list[str], all_read_models: bool, **options: object) -> None:
        if bool(names) == all_read_models:
            raise CommandError("name one or more read models, or pass --all")
        targets = READ_MODELS if all_read_models else [self._subscriber(n) for n in names]
        for target in targets:
            result = rebuild(target, store=self.store, redis_client=self.client, progress=self._progress_bar,
                             cleanup="inline")
            self.stdout.write("")
            if result.switched:
                self.stdout.write(self.style.SUCCESS(
                    f"{target.spec.name}: switched to generation {result.generation} ({result.done} events)"))
            elif result.busy:
                self.stdout.write(f"{target.spec.name}: another rebuild (or worker filling partitions) is running; "
                                  "run again to finish")
            else:
                raise CommandError(f"{target.spec.name}: rebuild stopped ({result.last_error or 'halted'}); "
                                   "run the command again to continue")

    def _rebuild_outdated(self, **options: object) -> None:
        results = rebuild_outdated(READ_MODELS, store=self.store, redis_client=self.client,
                                   progress=lambda _, progress: self._progress_bar(progress))
        if not results:
            self.stdout.write("every read model is up to date")
        for result in results:
            self.stdout.write("")
            if result.switched:
                self.stdout.write(self.style.SUCCESS(
                    f"{result.name}: switched to generation {result.generation} ({result.done} events)"))
            elif result.busy:
                self.stdout.write(f"{result.name}: another rebuild is running")
            else:
                raise CommandError(f"{result.name}: rebuild stopped ({result.last_error or 'halted'}); "
                                   "run the command again to continue")

    def _progress_bar(self, progress: RebuildProgress) -> None:
        share = 1.0 if not progress.head else min(1.0, (progress.checkpoint or 0) / progress.head)
        bar = "#" * int(share * 30)
        eta = f"{progress.eta_seconds:.0f}s" if progress.eta_seconds is not None else "?"
        sys.stdout.write(f"\r  [{bar:<30}] {share:5.1%} {progress.done} events {progress.rate:,.0f}/s "
                         f"ETA {eta} ({progress.phase})")
        sys.stdout.flush()

    def _dead_letters(self, verb: str, name: str, event_ids: list[str], all_events: bool, **options: object) -> None:
        target = self._subscriber(name)
        if verb == "list":
            for record in dead_letters.list_dead_letters(self.client, name):
                self.stdout.write(f"{record.event_id}  {record.stream_name}@{record.stream_position}  "
                                  f"{record.event_type}  attempts={record.attempts}  {record.error}")
            return
        if all_events:
            event_ids = [r.event_id for r in dead_letters.list_dead_letters(self.client, name)]
        if not event_ids:
            raise CommandError("name the event ids, or pass --all")
        if verb == "discard":
            discarded = dead_letters.discard_dead_letters(target, event_ids, redis_client=self.client)
            self.stdout.write(f"discarded {len(discarded)}")
            return
        for event_id in event_ids:
            outcome = dead_letters.retry_dead_letter(target, event_id, store=self.store, redis_client=self.client)
            verdict = "applied" if outcome.succeeded else f"failed again: {outcome.error}"
            self.stdout.write(f"{event_id}: {verdict}")


def _version(s: SubscriberStatus) -> str:
    """"v2" ("v2 P=4" when partitioned), or "v1 (code v2: rebuild-outdated)" while the serving one is outdated."""
    def partitions(count: int, shown: bool) -> str:
        return f" P={count}" if shown else ""
    moved = s.wanted_partitions != s.partition_count
    return f"v{s.built_version}{partitions(s.partition_count, s.partition_count > 1 or moved)}" + (
        f" (code v{s.version}{partitions(s.wanted_partitions, moved)}: rebuild-outdated)" if s.outdated else "")
