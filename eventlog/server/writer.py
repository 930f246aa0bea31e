"""The single writer: serialises appends, deletes and tombstones, with group commit.

With durable storage, one thread drains a queue of pending requests, decides them all against
the log (in order, each seeing the ones before it), writes every resulting record to SQLite in
ONE transaction (one fsync), publishes them, and only then acknowledges each request. With more
concurrent appenders each fsync is shared by more requests, so throughput grows with concurrency.

Without durable storage (--memory) there is nothing to wait for, so requests are decided and
published inline on the event loop: no thread hop, and still one writer, because the loop is
single-threaded.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from eventlog.server.log import EventLog
from eventlog.server.records import WriteRequest, WriteResult
from eventlog.server.storage import Storage

logger = logging.getLogger(__name__)

# Upper bound of requests per transaction, so one huge burst cannot delay its first ack forever.
MAX_BATCH = 1000

_STOP = object()


class StorageFailedError(RuntimeError):
    """Storage could not make a batch durable; nothing of it was published."""


class Writer:
    """Accepts write requests from the event loop and resolves them once committed."""

    def __init__(self, log: EventLog, storage: Storage, loop: asyncio.AbstractEventLoop,
                 on_commit: Callable[[], None]) -> None:
        self._log = log
        self._storage = storage
        self._loop = loop
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        if storage.durable:
            self._thread = threading.Thread(target=self._run, name="eventstore-writer", daemon=True)
            self._thread.start()

    async def submit(self, request: WriteRequest) -> WriteResult:
        """Decide, persist and publish one request; return its outcome."""
        if self._closed:
            raise StorageFailedError("the server is shutting down")
        if self._thread is None:
            batch = self._log.begin()
            result = batch.apply(request)
            self._log.publish(batch)
            if batch.records:
                self._on_commit()
            return result
        future: asyncio.Future[WriteResult] = self._loop.create_future()
        self._queue.put((request, future))
        return await future

    def close(self) -> None:
        """Finish the queued requests, stop the thread and close storage."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
        self._storage.close()

    # --- writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is _STOP for item in items)
            pending = [item for item in items if item is not _STOP]
            if pending:
                self._commit(pending)  # type: ignore[arg-type]
            if stopping:
                return

    def _commit(self, pending: list[tuple[WriteRequest, asyncio.Future[WriteResult]]]) -> None:
        batch = self._log.begin()
        outcomes: list[WriteResult | BaseException] = []
        for request, _future in pending:
            try:
                outcomes.append(batch.apply(request))
            except Exception as exc:  # a bug must fail one request, not the writer
                logger.exception("deciding %r failed", request)
                outcomes.append(exc)
        wrote = False
        try:
            self._storage.write(batch.records)
        except Exception as exc:
            logger.exception("storage write failed; %d requests fail", len(pending))
            failure = StorageFailedError(str(exc))
            outcomes = [failure] * len(pending)
        else:
            self._log.publish(batch)
            wrote = bool(batch.records)
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            self._loop.call_soon_threadsafe(self._resolve, pending, outcomes, wrote)

    def _resolve(self, pending: list[tuple[WriteRequest, asyncio.Future[WriteResult]]],
                 outcomes: list[WriteResult | BaseException], wrote: bool) -> None:
        for (_request, future), outcome in zip(pending, outcomes, strict=True):
            if future.done():  # the client went away; the write stands regardless
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if wrote:
            self._on_commit()
