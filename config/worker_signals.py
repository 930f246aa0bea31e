"""Celery worker start-up: the queues it consumes, its metrics endpoint, and the rebuild of outdated read models.

Queues: a worker started without -Q consumes every queue a task may be routed to (projections.queues:
the role queues and one per non-read-model subscriber, whatever is registered), so one worker runs
everything (`make run`); `-Q projections` narrows it to one role, as Celery does.

Metrics: commands the process manager dispatches and the subscribers' batches are counted in the
worker's pool processes, which no web server can see. A worker with WORKER_METRICS_PORT serves them
itself (`GET http://host:port/metrics`), added up over its pool processes through its own
PROMETHEUS_MULTIPROC_DIR, which it empties at start. (Sharing the web's directory on one machine
also works, but then a web restart would empty it under running workers.)

Versions: when the worker is ready it asks for `projections.rebuild_outdated`, which rebuilds, blue/
green, every read model whose serving generation was built by another version of its code.

Erasures: it also asks for `orders.reapply_erasures`, which applies every `CustomerErased` again, so
a database restored from a backup taken before an erasure (keys, accounts) is erased again.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from celery import current_app
from celery.signals import celeryd_init, worker_init, worker_process_shutdown, worker_ready

from config.metrics_dir import mark_process_dead, multiproc_dir, prepare_multiproc_dir

log = logging.getLogger(__name__)


@celeryd_init.connect
def declare_queues(*, instance: Any, options: dict[str, Any] | None = None, **_: Any) -> None:
    """Without -Q, consume every queue a task may be routed to; with -Q, only those named (Celery's rule)."""
    from projections.queues import all_queues  # the apps are ready by now; settings import this module early

    queues = instance.app.amqp.queues
    consume_all = not (options or {}).get("queues")
    for queue in all_queues():
        (queues.select_add if consume_all else queues.add)(queue)


@worker_init.connect
def serve_metrics(**_: Any) -> None:
    """Empty the multiprocess directory and, with WORKER_METRICS_PORT, serve /metrics (before the pool forks)."""
    directory = prepare_multiproc_dir()
    port = int(os.environ.get("WORKER_METRICS_PORT") or 0)
    if not port:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if directory is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(directory))
    else:
        log.warning("WORKER_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: only the main process's metrics are "
                    "served, not those of the pool's processes")
    address = os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1")
    start_http_server(port, addr=address, registry=registry)
    log.info("worker metrics on http://%s:%s/metrics", address, port)


@worker_process_shutdown.connect
def forget_process(pid: int | None = None, **_: Any) -> None:
    """A pool process ends: its live gauges no longer count (its counters still do)."""
    if multiproc_dir() is not None:
        mark_process_dead(pid or os.getpid())


@worker_ready.connect
def rebuild_outdated_read_models(**_: Any) -> None:
    """Ask for the rebuild of read models built by another version (any worker may take it; rebuilds lock)."""
    if os.environ.get("PROJECTIONS_REBUILD_OUTDATED", "true").lower() in {"0", "false", "no", "off"}:
        return
    try:
        current_app.send_task("projections.rebuild_outdated", ignore_result=True)
    except Exception:  # the broker went away just now: the command or the next start does it
        log.warning("could not ask for the rebuild of outdated read models", exc_info=True)


@worker_ready.connect
def reapply_erasures(**_: Any) -> None:
    """Ask for every recorded erasure to be applied again (idempotent; any worker may take it)."""
    try:
        current_app.send_task("orders.reapply_erasures", ignore_result=True)
    except Exception:  # the broker went away just now: `manage.py pii reapply-erasures` or the next start does it
        log.warning("could not ask for the erasures to be re-applied", exc_info=True)
