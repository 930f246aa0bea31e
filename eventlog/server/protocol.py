"""Conversions between EventStoreDB's protobuf messages and the server's records."""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from esdbclient.protos.Grpc import shared_pb2, streams_pb2

from eventlog.server import errors
from eventlog.server.records import ANY, NO_STREAM, STREAM_EXISTS, ProposedEvent, Record

_MASK64 = (1 << 64) - 1
# What esdbclient sends (str(uuid4())): accepted as is, skipping uuid.UUID's slower parse.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch

ReadResp = streams_pb2.ReadResp
_ReadEvent = streams_pb2.ReadResp.ReadEvent
_RecordedEvent = streams_pb2.ReadResp.ReadEvent.RecordedEvent


def parse_uuid(message: shared_pb2.UUID) -> str:
    """A UUID message (string or structured) as a canonical string; malformed ones throw."""
    kind = message.WhichOneof("value")
    try:
        if kind == "string":
            text = message.string
            return text if _CANONICAL_UUID(text) else str(uuid.UUID(text))
        if kind == "structured":
            high = message.structured.most_significant_bits & _MASK64
            low = message.structured.least_significant_bits & _MASK64
            return str(uuid.UUID(int=(high << 64) | low))
    except ValueError:
        pass
    raise errors.handler_exception()


def structured_uuid(value: str) -> shared_pb2.UUID:
    """A UUID string as EventStoreDB's structured UUID (two signed 64-bit halves)."""
    number = uuid.UUID(value).int
    high, low = number >> 64, number & _MASK64
    return shared_pb2.UUID(structured=shared_pb2.UUID.Structured(
        most_significant_bits=high - (1 << 64) if high >= 1 << 63 else high,
        least_significant_bits=low - (1 << 64) if low >= 1 << 63 else low,
    ))


def expected_from(options: object, *, revision_field: str) -> int:
    """The expected version in append/delete/tombstone options (revision_field names the number)."""
    kind = options.WhichOneof("expected_stream_revision" if revision_field == "revision"  # type: ignore[attr-defined]
                              else "expected_stream_position")
    if kind == revision_field:
        return int(getattr(options, revision_field))
    if kind == "any":
        return ANY
    if kind == "no_stream":
        return NO_STREAM
    if kind == "stream_exists":
        return STREAM_EXISTS
    raise errors.invalid_argument("None", "ExpectedStreamRevisionOneofCase")


def stream_name(identifier: shared_pb2.StreamIdentifier) -> str:
    """A stream name from its identifier; an empty or non-UTF-8 name is refused."""
    try:
        name = identifier.stream_name.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.handler_exception() from None
    if not name:
        raise errors.required_argument("stream_identifier", "StreamIdentifier")
    return name


def proposed_event(message_id: shared_pb2.UUID, metadata: Mapping[str, str], custom_metadata: bytes,
                   data: bytes) -> ProposedEvent:
    """Validate one proposed message (type and content-type are required, the id must parse)."""
    event_type = metadata.get("type")
    if event_type is None:
        raise errors.required_metadata_missing("type")
    content_type = metadata.get("content-type")
    if content_type is None:
        raise errors.required_metadata_missing("content-type")
    return ProposedEvent(parse_uuid(message_id), event_type, content_type, data, custom_metadata)


def _recorded_event(record: Record, *, structured: bool) -> _RecordedEvent:
    return _RecordedEvent(
        id=structured_uuid(record.event_id) if structured else shared_pb2.UUID(string=record.event_id),
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=record.stream.encode()),
        stream_revision=record.revision,
        prepare_position=record.position,
        commit_position=record.position,
        metadata={"type": record.type, "content-type": record.content_type, "created": str(record.created)},
        custom_metadata=record.metadata,
        data=record.data,
    )


def event_resp(record: Record, *, structured: bool) -> bytes:
    """A serialized ReadResp carrying one event; cached on the record for string UUIDs."""
    if not structured and record.wire is not None:
        return record.wire
    wire = ReadResp(event=_ReadEvent(event=_recorded_event(record, structured=structured),
                                     commit_position=record.position)).SerializeToString()
    if not structured:
        record.wire = wire
    return wire


def checkpoint_resp(position: int) -> bytes:
    """A serialized filtered-subscription checkpoint."""
    return ReadResp(checkpoint=ReadResp.Checkpoint(commit_position=position,
                                                   prepare_position=position)).SerializeToString()


def confirmation_resp(subscription_id: str) -> bytes:
    """A serialized subscription confirmation (always the first message of a subscription)."""
    return ReadResp(confirmation=ReadResp.SubscriptionConfirmation(
        subscription_id=subscription_id)).SerializeToString()


CAUGHT_UP_RESP = ReadResp(caught_up=ReadResp.CaughtUp()).SerializeToString()


def stream_not_found_resp(name: str) -> bytes:
    """A serialized "stream not found" answer to a stream read."""
    return ReadResp(stream_not_found=ReadResp.StreamNotFound(
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=name.encode()))).SerializeToString()
