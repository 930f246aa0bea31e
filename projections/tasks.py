"""Thin Celery tasks: catch subscribers up, rebuild a read model, retry a dead letter.

A message never carries events: every task reads from the subscriber's checkpoint, so a lost,
duplicated or late message changes nothing, and the beat task every second is the backstop.
projections.queues says which queue each task goes to.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from eventlog import connections
from eventlog.subscriptions import dead_letters
from eventlog.subscriptions.rebuild import rebuild
from eventlog.subscriptions.runner import RunResult, run_subscriber
from eventlog.subscriptions.subscribers import all_subscribers, subscriber
from eventlog.subscriptions.versions import rebuild_outdated
from projections import nudge, queues
from projections.subscribers import READ_MODELS

log = logging.getLogger(__name__)


@shared_task(name=queues.CATCH_UP_ALL_TASK, ignore_result=True)
def catch_up_all() -> list[dict] | list[str]:
    """Beat's backstop: fan out one catch-up per subscriber to its queue (serial mode: run them all here in turn)."""
    client = connections.redis()
    if settings.PROJECTIONS_NUDGE != nudge.SERIAL:
        return nudge.fan_out(client)
    nudge.clear(client)  # from here on, a new command must send a new nudge
    results = []
    for candidate in all_subscribers():
        try:
            result = run_subscriber(candidate, store=connections.event_store(), redis_client=client)
        except Exception:  # one failing subscriber must not starve the others; beat retries
            log.exception("catch-up of %s failed", candidate.spec.name)
            continue
        results.append(_summary(result))
    return results


@shared_task(name=queues.CATCH_UP_TASK, ignore_result=True)
def catch_up(name: str) -> dict:
    """Run one subscriber up to the head of $all (returns at once when another worker holds its lease)."""
    client = connections.redis()
    nudge.clear(client, name)  # from here on, a new command must send a new nudge for it
    result = run_subscriber(subscriber(name), store=connections.event_store(), redis_client=client)
    return _summary(result)


@shared_task(name="projections.rebuild", ignore_result=True)
def rebuild_read_model(name: str) -> dict:
    """Blue/green rebuild of one read model (resumes an interrupted one)."""
    result = rebuild(subscriber(name), store=connections.event_store(), redis_client=connections.redis(),
                     cleanup="inline")
    return {"name": name, "switched": result.switched, "generation": result.generation, "done": result.done}


@shared_task(name="projections.rebuild_outdated", ignore_result=True)
def rebuild_outdated_read_models() -> list[dict]:
    """Blue/green rebuild of every read model whose serving generation another version built (sent at worker start)."""
    results = rebuild_outdated(READ_MODELS, store=connections.event_store(), redis_client=connections.redis())
    for result in results:
        log.info("rebuild of outdated read model %s: %s", result.name,
                 "switched" if result.switched else "busy" if result.busy else f"stopped ({result.last_error})")
    return [{"name": r.name, "switched": r.switched, "generation": r.generation} for r in results]


@shared_task(name="projections.retry_dead_letter", ignore_result=True)
def retry_dead_letter(name: str, event_id: str) -> dict:
    """Re-apply a parked event through its subscriber."""
    outcome = dead_letters.retry_dead_letter(subscriber(name), event_id, store=connections.event_store(),
                                             redis_client=connections.redis())
    return {"name": name, "event_id": event_id, "succeeded": outcome.succeeded, "error": outcome.error}


def _summary(result: RunResult) -> dict:
    return {"name": result.name, "applied": result.applied, "parked": result.parked, "busy": result.busy,
            "halted": result.halted, "checkpoint": result.checkpoint}
