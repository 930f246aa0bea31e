"""What every bench script shares: metric lines, multi-process client load, local services."""
from __future__ import annotations

import json
import math
import multiprocessing
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any

from config.devstack.local_services import eventstore_command, free_port, start, stop

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = REPO_ROOT / "var" / "bench"

# Spawned clients import, connect and warm up before the clock starts; this bounds that.
CLIENT_START_TIMEOUT = 60.0
# Slack on top of a run's duration before a silent client process counts as hung.
CLIENT_FINISH_SLACK = 30.0


class BenchError(RuntimeError):
    """A measurement could not be taken (a client or a service failed)."""


def note(message: str) -> None:
    """Progress for humans on stderr; stdout carries only metric lines."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(metric: str, value: float, unit: str, *, baseline: str | None = None,
         baseline_value: float | None = None, target: float | None = None,
         higher_is_better: bool = True) -> dict[str, Any]:
    """Print one metric as a JSON line; with a baseline, the ratio and whether it meets the target.

    With a baseline, `target` is the least acceptable ratio (better / worse oriented so that
    higher is always better); without one, it is compared with the value itself.
    """
    line: dict[str, Any] = {"metric": metric, "value": _round(value), "unit": unit}
    ratio: float | None = None
    if baseline is not None or baseline_value is not None:
        ratio = _ratio(value, baseline_value, higher_is_better=higher_is_better)
        line.update(baseline=baseline, baseline_value=_round(baseline_value),
                    ratio=None if ratio is None else round(ratio, 3))
    if target is not None:
        if ratio is not None:
            met = ratio >= target
        elif baseline_value is None and baseline is None:
            met = value >= target if higher_is_better else value <= target
        else:
            met = False  # a baseline was asked for but could not be measured
        line.update(target=target, met=met)
    print(json.dumps(line), flush=True)
    return line


def _ratio(value: float, baseline_value: float | None, *, higher_is_better: bool) -> float | None:
    """value / baseline (or the inverse when lower is better); None when undefined."""
    if baseline_value is None:
        return None
    numerator, denominator = (value, baseline_value) if higher_is_better else (baseline_value, value)
    if denominator == 0 or not math.isfinite(numerator) or not math.isfinite(denominator):
        return None
    return numerator / denominator


def _round(value: float | None) -> float | None:
    """Three significant decimals are plenty for throughput figures."""
    if value is None or isinstance(value, int):
        return value
    return round(value, 3 if abs(value) < 100 else 1)


@dataclass(frozen=True)
class Load:
    """A client layout (processes x threads), each thread bounded in operations and in time."""

    processes: int = 1
    threads: int = 1
    seconds: float = 5.0
    max_ops: int = 1_000_000  # per thread

    @property
    def label(self) -> str:
        """Short name for metric names and logs, e.g. `4x4`."""
        return f"{self.processes}x{self.threads}"


@dataclass(frozen=True)
class ClientSpec:
    """What one client process is told: where to connect, who it is, its load and extras."""

    target: str
    process: int
    load: Load
    params: dict[str, Any] = field(default_factory=dict)


# An operation does one unit of work for a thread and returns how many items it moved
# (events appended or read); it may use the deadline to cut a long streaming read short.
Operation = Callable[[int, float], int]
# Called once in each client process (connect, warm up); must be a module-level function
# so that a spawned process can import it.
ClientFactory = Callable[[ClientSpec], Operation]


@dataclass(frozen=True)
class Rate:
    """Items moved by all clients, and the rate: per turn the sum over processes, then a trimmed mean."""

    items: int
    per_second: float
    seconds: float
    turns: tuple[float, ...] = ()  # the rate of each turn, to show the spread


def run_clients(factory: ClientFactory, target: str, load: Load, **params: Any) -> Rate:
    """Run the layout in fresh spawned processes, start them together and sum their rates."""
    return run_schedule(factory, {target: target}, [target], load, **params)[target]


def run_schedule(factory: ClientFactory, targets: dict[str, str], schedule: Sequence[str], load: Load,
                 **params: Any) -> dict[str, Rate]:
    """Run the layout once; the same processes take turns (each `load.seconds`) at the named targets.

    Each process connects to every target before the clock starts, then all processes run each
    turn of `schedule` together. Interleaving turns (A B B A ...) exposes two servers to the same
    background load on a shared machine, which back-to-back runs would not.
    """
    ctx = multiprocessing.get_context("spawn")  # no forked gRPC state, same on every OS
    barrier = ctx.Barrier(load.processes)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_client_process, daemon=True,
                    args=(factory, targets, list(schedule), index, load, params, barrier, results))
        for index in range(load.processes)
    ]
    for process in processes:
        process.start()
    timeout = CLIENT_START_TIMEOUT + len(schedule) * load.seconds + CLIENT_FINISH_SLACK
    try:
        outcomes = _collect(results, processes, timeout=timeout)
    finally:
        _reap(processes)
    errors = [error for _, error in outcomes if error]
    if errors:
        raise BenchError("a client process failed:\n" + errors[0])
    return _rates(schedule, [turns for turns, _ in outcomes])


def _rates(schedule: Sequence[str], per_process: list[list[tuple[int, float]]]) -> dict[str, Rate]:
    """Per target: total items, and the rate summed over processes per turn, averaged over its turns."""
    rates: dict[str, Rate] = {}
    for name in dict.fromkeys(schedule):
        turns = [turn for turn, turn_name in enumerate(schedule) if turn_name == name]
        turn_rates = tuple(sum(count / seconds for count, seconds in (process[turn] for process in per_process)
                               if seconds > 0) for turn in turns)
        rates[name] = Rate(
            items=sum(process[turn][0] for process in per_process for turn in turns),
            per_second=_trimmed_mean(turn_rates),
            seconds=sum(max(process[turn][1] for process in per_process) for turn in turns),
            turns=turn_rates,
        )
    return rates


def _trimmed_mean(values: Sequence[float]) -> float:
    """The mean without the best and the worst value (when there are enough).

    On a shared machine a turn now and then runs next to a burst of outside work (or stalls);
    dropping the extremes keeps one such turn from moving the figure, and unlike a median it
    stays steady when turns fall into two clusters (sharing a core or not).
    """
    ordered = sorted(values)
    return fmean(ordered[1:-1] if len(ordered) >= 4 else ordered)


def _collect(results: Any, processes: list[multiprocessing.process.BaseProcess], *,
             timeout: float) -> list[tuple[list[tuple[int, float]], str | None]]:
    """One outcome per process; fail early if one died without reporting (e.g. a crash)."""
    outcomes: list[tuple[list[tuple[int, float]], str | None]] = []
    deadline = time.monotonic() + timeout
    while len(outcomes) < len(processes):
        try:
            outcomes.append(results.get(timeout=0.5))
        except queue.Empty:
            dead = sum(1 for process in processes if process.exitcode is not None)
            if dead > len(outcomes) and results.empty():
                raise BenchError("a client process died without reporting") from None
            if time.monotonic() > deadline:
                raise BenchError(f"client processes did not report within {timeout:.0f}s") from None
    return outcomes


def _reap(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """Join client processes, killing any that linger (a hung client must not hang the bench)."""
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def _client_process(factory: ClientFactory, targets: dict[str, str], schedule: list[str], index: int,
                    load: Load, params: dict[str, Any], barrier: Any, results: Any) -> None:
    """Body of one client process: connect to every target, then run each turn with the others."""
    try:
        operations = {name: factory(ClientSpec(target, index, load, params)) for name, target in targets.items()}
        turns = []
        for name in schedule:
            barrier.wait(timeout=CLIENT_START_TIMEOUT)
            turns.append(_run_threads(operations[name], load))
        results.put((turns, None))
    except BaseException:  # noqa: B036 - report anything to the parent rather than die silently
        barrier.abort()  # let the siblings fail fast instead of waiting out the timeout
        results.put(([], traceback.format_exc()))


def _run_threads(operation: Operation, load: Load) -> tuple[int, float]:
    """Run the operation on each thread until its count or the shared deadline; items and seconds."""
    counts = [0] * load.threads
    errors: list[BaseException] = []
    ready = threading.Barrier(load.threads + 1)
    clock: dict[str, float] = {}

    def work(thread: int) -> None:
        ready.wait()
        deadline = clock["deadline"]
        try:
            for _ in range(load.max_ops):
                if time.monotonic() >= deadline:
                    break
                counts[thread] += operation(thread, deadline)
        except BaseException as error:  # noqa: B036 - surfaced to the caller below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(load.threads)]
    for thread in threads:
        thread.start()
    clock["start"] = time.monotonic()
    clock["deadline"] = clock["start"] + load.seconds
    ready.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - clock["start"]
    if errors:
        raise errors[0]
    return sum(counts), elapsed


@contextmanager
def running(command: Callable[[int], list[str]], *, name: str) -> Iterator[int]:
    """Start a loopback service on a free port for the block; yield the port, log to var/bench/NAME.log."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    log_path = BENCH_VAR / f"{name}.log"
    log_path.unlink(missing_ok=True)  # one run per log, so it explains this run
    port = free_port()
    note(f"starting {name} on 127.0.0.1:{port} (log: {log_path.relative_to(REPO_ROOT)})")
    process = start(command(port), port=port, log_path=log_path)
    try:
        yield port
    finally:
        stop(process)


@contextmanager
def embedded_eventstore(*, data_dir: Path | None = None, name: str = "eventstore") -> Iterator[int]:
    """The product's embedded event store on a free port; on disk when data_dir is given."""
    with running(lambda port: eventstore_command(port, data_dir=data_dir), name=name) as port:
        yield port
