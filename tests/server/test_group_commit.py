"""Group commit: concurrent appends share storage transactions, and a failed one publishes nothing."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator, Sequence

import pytest

from eventlog.server.log import EventLog
from eventlog.server.records import NO_STREAM, ProposedEvent, Record, WriteRequest
from eventlog.server.writer import StorageFailedError, Writer


class SlowStorage:
    """Durable-looking storage whose every transaction takes a while, like an fsync."""

    durable = True

    def __init__(self, *, fail: bool = False) -> None:
        self.transactions: list[int] = []
        self.fail = fail
        self.lock = threading.Lock()

    def load(self) -> Iterator[Record]:
        return iter(())

    def write(self, records: Sequence[Record]) -> None:
        time.sleep(0.02)
        if self.fail:
            raise OSError("disk full")
        with self.lock:
            self.transactions.append(len(records))

    def close(self) -> None:
        pass


def append(stream: str) -> WriteRequest:
    return WriteRequest("append", stream, NO_STREAM,
                        (ProposedEvent(str(uuid.uuid4()), "T", "application/json", b"{}", b""),))


async def run_concurrently(storage: SlowStorage, count: int) -> tuple[EventLog, list[object]]:
    log = EventLog()
    commits: list[int] = []
    writer = Writer(log, storage, asyncio.get_running_loop(), lambda: commits.append(log.head))
    try:
        results = await asyncio.gather(*(writer.submit(append(f"s-{i}")) for i in range(count)),
                                       return_exceptions=True)
    finally:
        writer.close()
    return log, results


def test_concurrent_appends_share_transactions() -> None:
    storage = SlowStorage()
    log, results = asyncio.run(run_concurrently(storage, 40))
    assert all(result.outcome == "ok" for result in results)  # type: ignore[union-attr]
    assert sum(storage.transactions) == 40 == log.head
    # 40 appends, each transaction taking 20 ms: far fewer transactions than appends.
    assert len(storage.transactions) <= 5
    positions = [record.position for record in log.all]
    assert positions == sorted(set(positions))


def test_a_failed_transaction_publishes_nothing_and_fails_its_requests() -> None:
    log, results = asyncio.run(run_concurrently(SlowStorage(fail=True), 5))
    assert all(isinstance(result, StorageFailedError) for result in results)
    assert log.head == 0 and not log.streams
    # The next batch starts from the same position: nothing was half-published.
    assert log.begin().next_position == EventLog().next_position


@pytest.mark.parametrize("count", [1, 3])
def test_requests_in_one_batch_see_each_other(count: int) -> None:
    log = EventLog()
    batch = log.begin()
    first = batch.apply(append("same"))
    again = [batch.apply(append("same")) for _ in range(count)]
    assert first.outcome == "ok" and all(result.outcome == "wrong_version" for result in again)
    assert all(result.revision == 0 for result in again)
