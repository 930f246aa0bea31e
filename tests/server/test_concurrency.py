"""Many concurrent appenders: serialised correctly, nothing lost, nothing duplicated."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.exceptions import WrongCurrentVersion

from tests.server.helpers import ServerProcess, event

THREADS = 16


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, esdb_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session (memory) server, and a private SQLite one where group commit does the work."""
    if request.param == "memory":
        yield esdb_url
        return
    server = ServerProcess(Path(tmp_path_factory.mktemp("concurrency")) / "eventstore")
    try:
        yield server.url
    finally:
        server.stop()


def run_threads(work: Callable[[int, EventStoreDBClient], None], url: str) -> None:
    """Run work(i, client) in THREADS threads, each with its own connection, started together."""
    clients = [EventStoreDBClient(url) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            work(i, clients[i])
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for esdb in clients:
        esdb.close()
    assert not errors, errors


def test_one_winner_per_expected_version(url: str) -> None:
    stream = f"race-{uuid.uuid4().hex}"
    rounds = 5
    wins = [0] * rounds
    lock = threading.Lock()
    barriers = [threading.Barrier(THREADS) for _ in range(rounds)]

    def work(i: int, esdb: EventStoreDBClient) -> None:
        for round_ in range(rounds):
            expected = StreamState.NO_STREAM if round_ == 0 else round_ - 1
            barriers[round_].wait()  # everyone tries the same expected version at once
            try:
                esdb.append_to_stream(stream, current_version=expected, events=[event(f"T{i}R{round_}")])
            except WrongCurrentVersion:
                continue
            with lock:
                wins[round_] += 1

    run_threads(work, url)
    assert wins == [1] * rounds
    with EventStoreDBClient(url) as esdb:
        recorded = esdb.get_stream(stream)
    assert [r.stream_position for r in recorded] == list(range(rounds))
    assert [r.type[-2:] for r in recorded] == [f"R{n}" for n in range(rounds)]


def test_retrying_appenders_on_one_stream_lose_nothing(url: str) -> None:
    stream = f"contended-{uuid.uuid4().hex}"
    per_thread = 3
    sent: list[uuid.UUID] = []
    lock = threading.Lock()

    def work(i: int, esdb: EventStoreDBClient) -> None:
        for _ in range(per_thread):
            new = event(f"T{i}")
            while True:
                version = esdb.get_current_version(stream)
                try:
                    esdb.append_to_stream(stream, current_version=version, events=[new])
                    break
                except WrongCurrentVersion:
                    continue
            with lock:
                sent.append(new.id)

    run_threads(work, url)
    with EventStoreDBClient(url) as esdb:
        recorded = esdb.get_stream(stream)
    assert [r.stream_position for r in recorded] == list(range(THREADS * per_thread))
    assert sorted(r.id for r in recorded) == sorted(sent)  # each exactly once


def test_separate_streams_all_succeed_and_all_is_consistent(url: str) -> None:
    prefix = f"par-{uuid.uuid4().hex[:12]}"
    per_thread = 10
    acked: dict[str, list[int]] = {}

    def work(i: int, esdb: EventStoreDBClient) -> None:
        name = f"{prefix}-{i}"
        positions = []
        for n in range(per_thread):
            expected = StreamState.NO_STREAM if n == 0 else n - 1
            batch = [event(f"E{n}")] if n % 2 else event(f"E{n}")  # Append and BatchAppend alike
            positions.append(esdb.append_to_stream(name, current_version=expected, events=batch))
        acked[name] = positions

    watcher = EventStoreDBClient(url)
    live = watcher.subscribe_to_all(from_end=True, filter_include=[f"{prefix}-.*"], filter_by_stream_name=True,
                                    timeout=30)
    run_threads(work, url)
    with EventStoreDBClient(url) as esdb:
        everything = list(esdb.read_all(filter_include=[f"{prefix}-.*"], filter_by_stream_name=True))
        # A live subscriber saw exactly what $all holds, in the same order.
        seen = [next(live) for _ in range(len(everything))]
        live.stop()
        watcher.close()
        assert [(r.id, r.commit_position) for r in seen] == [(r.id, r.commit_position) for r in everything]
        for name, positions in acked.items():
            recorded = esdb.get_stream(name)
            assert [r.stream_position for r in recorded] == list(range(per_thread))
            assert [r.commit_position for r in recorded] == positions
    assert len(everything) == THREADS * per_thread
    all_positions = [r.commit_position for r in everything]
    assert all_positions == sorted(set(all_positions))
    for name in acked:  # each stream's events appear in $all in revision order
        assert [r.stream_position for r in everything if r.stream_name == name] == list(range(per_thread))
