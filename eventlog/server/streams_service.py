"""The `event_store.client.streams.Streams` gRPC service: Append, BatchAppend, Delete, Tombstone, Read.

Writes are parsed and validated here (nothing reaches the writer unless the whole request is
valid, so a rejected append writes nothing), then decided and committed by the single writer.
Reads are served by eventlog.server.reads straight from the in-memory log.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from esdbclient.protos.Grpc import code_pb2, shared_pb2, status_pb2, streams_pb2, streams_pb2_grpc
from google.protobuf import any_pb2, empty_pb2

from eventlog.server import errors, protocol, reads
from eventlog.server.log import EventLog
from eventlog.server.notify import Changes
from eventlog.server.records import ANY, NO_STREAM, STREAM_EXISTS, ProposedEvent, WriteRequest, WriteResult
from eventlog.server.writer import StorageFailedError, Writer

# EventStoreDB's default maximum size of one append (all its events together).
MAX_APPEND_SIZE = 1024 * 1024

_ULONG_MAX = (1 << 64) - 1


class StreamsService(streams_pb2_grpc.StreamsServicer):
    """Streams RPCs over the in-memory log and the single writer."""

    def __init__(self, log: EventLog, writer: Writer, changes: Changes) -> None:
        self._log = log
        self._writer = writer
        self._changes = changes

    # --- Append -----------------------------------------------------------------------------

    async def Append(self, request_iterator: AsyncIterator[streams_pb2.AppendReq],  # noqa: N802
                     context: grpc.aio.ServicerContext[streams_pb2.AppendReq, streams_pb2.AppendResp],
                    ) -> streams_pb2.AppendResp:
        """Append events sent as options + proposed messages; reply success or wrong version."""
        try:
            request = await _read_append(request_iterator)
            result = await self._submit(request)
            if result.outcome == "deleted":
                raise errors.stream_deleted(request.stream)
        except errors.RpcError as exc:
            await context.abort(exc.code, exc.details, exc.trailers)
        return _append_resp(result, request.expected)

    # --- BatchAppend ------------------------------------------------------------------------

    async def BatchAppend(self, request_iterator: AsyncIterator[streams_pb2.BatchAppendReq],  # noqa: N802
                          context: grpc.aio.ServicerContext[streams_pb2.BatchAppendReq, streams_pb2.BatchAppendResp],
                         ) -> AsyncIterator[streams_pb2.BatchAppendResp]:
        """Append batches, possibly sent in several chunks per correlation id; one reply each."""
        chunks: dict[bytes, _Chunks] = {}
        try:
            async for message in request_iterator:
                key = message.correlation_id.SerializeToString()
                pending = chunks.get(key)
                if pending is None:
                    if not message.HasField("options"):
                        raise errors.handler_exception()
                    pending = chunks[key] = _Chunks(message)
                pending.add(message.proposed_messages)
                if not message.is_final:
                    continue
                del chunks[key]
                request = pending.request()
                result = await self._submit(request)
                yield _batch_append_resp(message.correlation_id, pending.options, request, result)
        except errors.RpcError as exc:
            await context.abort(exc.code, exc.details, exc.trailers)

    # --- Delete / Tombstone -----------------------------------------------------------------

    async def Delete(self, request: streams_pb2.DeleteReq,  # noqa: N802
                     context: grpc.aio.ServicerContext[streams_pb2.DeleteReq, streams_pb2.DeleteResp],
                    ) -> streams_pb2.DeleteResp:
        """Soft-delete a stream: it reads as not found until it is appended to again."""
        try:
            position = await self._remove("delete", "Delete", request.options)
        except errors.RpcError as exc:
            await context.abort(exc.code, exc.details, exc.trailers)
        return streams_pb2.DeleteResp(position=streams_pb2.DeleteResp.Position(
            commit_position=position, prepare_position=position))

    async def Tombstone(self, request: streams_pb2.TombstoneReq,  # noqa: N802
                        context: grpc.aio.ServicerContext[streams_pb2.TombstoneReq, streams_pb2.TombstoneResp],
                       ) -> streams_pb2.TombstoneResp:
        """Delete a stream for ever: later reads and appends fail with stream-deleted."""
        try:
            position = await self._remove("tombstone", "Tombstone", request.options)
        except errors.RpcError as exc:
            await context.abort(exc.code, exc.details, exc.trailers)
        return streams_pb2.TombstoneResp(position=streams_pb2.TombstoneResp.Position(
            commit_position=position, prepare_position=position))

    async def _remove(self, kind: str, operation: str, options: Any) -> int:
        stream = protocol.stream_name(options.stream_identifier)
        expected = protocol.expected_from(options, revision_field="revision")
        result = await self._submit(WriteRequest(kind, stream, expected))
        if result.outcome == "deleted":
            raise errors.stream_deleted(stream)
        if result.outcome == "wrong_version":
            raise errors.wrong_expected_version(operation, stream, expected, result.revision)
        assert result.position is not None
        return result.position

    async def _submit(self, request: WriteRequest) -> WriteResult:
        try:
            return await self._writer.submit(request)
        except StorageFailedError as exc:
            raise errors.unavailable(f"Storage failure, nothing was written: {exc}") from None

    # --- Read -------------------------------------------------------------------------------

    async def Read(self, request: streams_pb2.ReadReq,  # noqa: N802
                   context: grpc.aio.ServicerContext[streams_pb2.ReadReq, bytes]) -> AsyncIterator[bytes]:
        """Stream and `$all` reads and catch-up subscriptions (pre-serialized responses)."""
        async for response in reads.read(request, context, self._log, self._changes):
            yield response


async def _read_append(request_iterator: AsyncIterator[streams_pb2.AppendReq]) -> WriteRequest:
    """The whole append request, validated; raises before anything is written."""
    stream: str | None = None
    expected = ANY
    events: list[ProposedEvent] = []
    size = 0
    async for message in request_iterator:
        kind = message.WhichOneof("content")
        if stream is None:
            if kind != "options":
                raise errors.handler_exception()
            stream = protocol.stream_name(message.options.stream_identifier)
            expected = protocol.expected_from(message.options, revision_field="revision")
            continue
        if kind != "proposed_message":
            raise errors.handler_exception()
        proposed = message.proposed_message
        event = protocol.proposed_event(proposed.id, proposed.metadata, proposed.custom_metadata,
                                        proposed.data)
        size += event.size()
        if size > MAX_APPEND_SIZE:
            raise errors.max_append_size_exceeded(MAX_APPEND_SIZE)
        events.append(event)
    if stream is None:
        raise errors.handler_exception()
    return WriteRequest("append", stream, expected, tuple(events))


class _Chunks:
    """The parts of one batch append received so far."""

    def __init__(self, first: streams_pb2.BatchAppendReq) -> None:
        self.options = first.options
        self.stream = protocol.stream_name(first.options.stream_identifier)
        self.expected = protocol.expected_from(first.options, revision_field="stream_position")
        self.events: list[ProposedEvent] = []
        self.size = 0

    def add(self, messages: Any) -> None:
        for proposed in messages:
            event = protocol.proposed_event(proposed.id, proposed.metadata, proposed.custom_metadata,
                                            proposed.data)
            self.size += event.size()
            if self.size > MAX_APPEND_SIZE:
                raise errors.max_append_size_exceeded(MAX_APPEND_SIZE)
            self.events.append(event)

    def request(self) -> WriteRequest:
        return WriteRequest("append", self.stream, self.expected, tuple(self.events))


def _append_resp(result: WriteResult, expected: int) -> streams_pb2.AppendResp:
    if result.outcome == "ok":
        success = streams_pb2.AppendResp.Success()
        if result.revision < 0:
            success.no_stream.SetInParent()
        else:
            success.current_revision = result.revision
        if result.position is None:
            success.no_position.SetInParent()
        else:
            success.position.commit_position = result.position
            success.position.prepare_position = result.position
        return streams_pb2.AppendResp(success=success)
    wrong = streams_pb2.AppendResp.WrongExpectedVersion()
    # Both the current fields and the ones clients of 20.6.0 read, as EventStoreDB does.
    if expected == ANY:
        wrong.expected_any.SetInParent()
        wrong.any_20_6_0.SetInParent()
    elif expected == STREAM_EXISTS:
        wrong.expected_stream_exists.SetInParent()
        wrong.stream_exists_20_6_0.SetInParent()
    elif expected == NO_STREAM:
        wrong.expected_no_stream.SetInParent()
        wrong.expected_revision_20_6_0 = _ULONG_MAX
    else:
        wrong.expected_revision = expected
        wrong.expected_revision_20_6_0 = expected
    if result.revision < 0:
        wrong.current_no_stream.SetInParent()
        wrong.no_stream_20_6_0.SetInParent()
    else:
        wrong.current_revision = result.revision
        wrong.current_revision_20_6_0 = result.revision
    return streams_pb2.AppendResp(wrong_expected_version=wrong)


def _batch_append_resp(correlation_id: shared_pb2.UUID, options: streams_pb2.BatchAppendReq.Options,
                       request: WriteRequest, result: WriteResult) -> streams_pb2.BatchAppendResp:
    resp = streams_pb2.BatchAppendResp(correlation_id=correlation_id,
                                       stream_identifier=options.stream_identifier)
    expected = request.expected
    if expected >= 0:
        resp.stream_position = expected
    elif expected == NO_STREAM:
        resp.no_stream.CopyFrom(empty_pb2.Empty())
    elif expected == ANY:
        resp.any.CopyFrom(empty_pb2.Empty())
    else:
        resp.stream_exists.CopyFrom(empty_pb2.Empty())
    if result.outcome == "ok":
        if result.revision < 0:
            resp.success.no_stream.CopyFrom(empty_pb2.Empty())
        else:
            resp.success.current_revision = result.revision
        if result.position is None:
            resp.success.no_position.CopyFrom(empty_pb2.Empty())
        else:
            resp.success.position.commit_position = result.position
            resp.success.position.prepare_position = result.position
        return resp
    details = any_pb2.Any()
    if result.outcome == "deleted":
        details.Pack(shared_pb2.StreamDeleted(stream_identifier=options.stream_identifier))
        message = f"Event stream '{request.stream}' is deleted."
    else:
        wrong = shared_pb2.WrongExpectedVersion()
        if result.revision < 0:
            wrong.current_no_stream.CopyFrom(empty_pb2.Empty())
        else:
            wrong.current_stream_revision = result.revision
        if expected >= 0:
            wrong.expected_stream_position = expected
        elif expected == NO_STREAM:
            wrong.expected_no_stream.CopyFrom(empty_pb2.Empty())
        elif expected == ANY:
            wrong.expected_any.CopyFrom(empty_pb2.Empty())
        else:
            wrong.expected_stream_exists.CopyFrom(empty_pb2.Empty())
        details.Pack(wrong)
        message = (f"Append failed due to WrongExpectedVersion. Stream: {request.stream}, "
                   f"Expected version: {expected}, Actual version: {result.revision}")
    resp.error.CopyFrom(status_pb2.Status(code=code_pb2.FAILED_PRECONDITION,
                                          message=message, details=details))
    return resp
