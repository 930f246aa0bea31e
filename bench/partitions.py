"""Rebuild of the order summaries: one partition in one process vs four partitions on two worker processes.

Run from the repo root: `.venv/bin/python bench/partitions.py`. Prints one JSON metric per line
(see bench/common.py); progress goes to stderr. Starts its own embedded event store (in memory) and
Redis on free ports, fills the store with BENCH_REBUILD_EVENTS order events (default 100,000), then
takes turns (BENCH_TURNS, default 1): a blue/green rebuild with P = 1 in this process (the
baseline), and one with P = 4 filled by two worker processes started beforehand and released
together (`eventlog.subscriptions.rebuild.rebuild`, as `manage.py projections rebuild` or the Celery
rebuild task run it). The clock runs from the release to the generation switch.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dataclasses
import json
import subprocess
import tempfile
import time
import uuid

from bench.common import REPO_ROOT, embedded_eventstore, emit, note, running
from bench.django_env import configure_django
from bench.projections import REBUILD_EVENTS, fill_store
from config.devstack.local_services import redis_command

PARTITIONS = 4
WORKERS = 2
TURNS = int(os.environ.get("BENCH_TURNS", 1))
RATIO_TARGET = 1.3
RATE_TARGET = 5_000.0
GO_KEY = "bench:partitions:go"
READY_KEY = "bench:partitions:ready"
SWITCHED_KEY = "bench:partitions:switched_at"


def projection(partitions: int):
    """The order summaries read model, split in `partitions`."""
    from projections.orders import OrderSummaryProjection

    model = OrderSummaryProjection()
    model.spec = dataclasses.replace(model.spec, partitions=partitions)
    return model


def rebuild_until_switched(partitions: int) -> int:
    """Call rebuild until this or another process switched to a generation with `partitions`; events done here."""
    from eventlog import connections
    from eventlog.subscriptions import keys
    from eventlog.subscriptions.checkpoints import live_generation
    from eventlog.subscriptions.rebuild import rebuild

    client, store, model = connections.redis(), connections.event_store(), projection(partitions)
    name = model.spec.name
    start = live_generation(client, name)
    while True:
        result = rebuild(model, store=store, redis_client=client, cleanup="none")
        if result.switched:
            client.set(SWITCHED_KEY, time.time(), nx=True)
            return result.done
        # Once the other worker switched, the state is gone: calling again would start another rebuild.
        if live_generation(client, name) > start or not client.exists(keys.rebuild_state(name)):
            return 0
        time.sleep(0.05)  # the other worker is finishing its partition


def worker(es_port: int, redis_port: int, database: str) -> None:
    """A worker process: wait for the go, fill free partitions, switch if last; print what it did."""
    configure_django(es_port, redis_port, database)
    from eventlog import connections

    label = uuid.uuid4().hex[:6]
    connections.redis().rpush(READY_KEY, label)
    connections.redis().blpop([GO_KEY], timeout=600)
    started = time.perf_counter()
    rebuild_until_switched(PARTITIONS)
    print(json.dumps({"worker": label, "seconds": round(time.perf_counter() - started, 1)}), flush=True)


def clear_old_generations() -> None:
    """Delete generations left by the previous rebuild now, so no rebuild's clock includes it."""
    from eventlog import connections
    from eventlog.subscriptions.checkpoints import live_generation
    from eventlog.subscriptions.rebuild import delete_other_generations

    client = connections.redis()
    delete_other_generations(client, "orders", keep=live_generation(client, "orders"))


def one_partition() -> float:
    """Baseline: the rebuild as it runs today, one process, one partition; events per second."""
    from eventlog import connections
    from eventlog.subscriptions.rebuild import rebuild

    started = time.perf_counter()
    result = rebuild(projection(1), store=connections.event_store(), redis_client=connections.redis(),
                     cleanup="none")
    seconds = time.perf_counter() - started
    assert result.switched, result
    note(f"1 partition, 1 process: {result.done} events in {seconds:.1f}s = {result.done / seconds:,.0f}/s")
    return result.done / seconds


def four_partitions(es_port: int, redis_port: int, database: str, events: int) -> float:
    """Four partitions filled by two worker processes; events per second from the go to the switch."""
    from eventlog import connections

    client = connections.redis()
    client.delete(GO_KEY, SWITCHED_KEY, READY_KEY)
    workers = [subprocess.Popen([sys.executable, __file__, "--worker", str(es_port), str(redis_port), database],
                                cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) for _ in range(WORKERS)]
    try:
        while client.llen(READY_KEY) < WORKERS:  # both imported Django and connected: the clock may start
            if any(process.poll() is not None for process in workers):
                raise RuntimeError("a worker died while starting")
            time.sleep(0.05)
        go = time.time()
        client.rpush(GO_KEY, *range(WORKERS))
        outputs = [process.communicate(timeout=900)[0] for process in workers]
        if not client.exists(SWITCHED_KEY):
            raise RuntimeError(f"no worker switched: {outputs}")
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
    if any(process.returncode for process in workers):
        raise RuntimeError(f"a worker failed: {outputs}")
    seconds = float(client.get(SWITCHED_KEY)) - go
    note(f"{PARTITIONS} partitions, {WORKERS} processes: {events} events in {seconds:.1f}s = "
         f"{events / seconds:,.0f}/s ({'; '.join(o.strip() for o in outputs)})")
    return events / seconds


def main() -> None:
    with (tempfile.TemporaryDirectory(prefix="bench-partitions-") as tmp,
          embedded_eventstore() as es_port,
          running(lambda port: redis_command(port), name="redis-partitions") as redis_port):
        database = str(Path(tmp) / "db.sqlite3")
        configure_django(es_port, redis_port, database)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        fill_store(REBUILD_EVENTS)
        baseline, partitioned = [], []
        for turn in range(TURNS):
            note(f"turn {turn + 1} of {TURNS}")
            clear_old_generations()
            baseline.append(one_partition())
            clear_old_generations()
            partitioned.append(four_partitions(es_port, redis_port, database, REBUILD_EVENTS))
        base, split = max(baseline), max(partitioned)  # best of the turns: the machine is shared
        emit("rebuild_4_partitions_2_processes_events_per_s", split, "events/s",
             baseline="rebuild_1_partition_1_process_events_per_s", baseline_value=base, target=RATIO_TARGET)
        emit("rebuild_4_partitions_2_processes_events_per_s_absolute", split, "events/s", target=RATE_TARGET)
        emit("rebuild_1_partition_1_process_events_per_s_absolute", base, "events/s", target=RATE_TARGET)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        main()
