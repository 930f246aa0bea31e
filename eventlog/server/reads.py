"""Streams.Read: stream and `$all` reads, and catch-up subscriptions that go live.

Responses are yielded pre-serialized (see protocol.event_resp), straight from the in-memory log.
A subscription is a coroutine, not a thread: while live it awaits a shared asyncio.Event, so
thousands of idle subscribers cost memory only.
"""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
from esdbclient.protos.Grpc import streams_pb2

from eventlog.server import errors, protocol
from eventlog.server.filters import EventFilter, FilterError, compile_filter
from eventlog.server.log import EventLog
from eventlog.server.notify import Changes

_Options = streams_pb2.ReadReq.Options
_FORWARDS = _Options.Forwards
_BACKWARDS = _Options.Backwards

_STREAM_CASE = {"stream": "Stream", "all": "All", None: "None"}
_COUNT_CASE = {"count": "Count", "subscription": "Subscription", None: "None"}
_FILTER_CASE = {"filter": "Filter", "no_filter": "NoFilter", None: "None"}
_DIRECTION = {_FORWARDS: "Forwards", _BACKWARDS: "Backwards"}


async def read(request: streams_pb2.ReadReq, context: grpc.aio.ServicerContext[streams_pb2.ReadReq, bytes],
               log: EventLog, changes: Changes) -> AsyncIterator[bytes]:
    """Dispatch a ReadReq on its combination of options, as EventStoreDB does."""
    try:
        options = request.options
        source = options.WhichOneof("stream_option")
        count_kind = options.WhichOneof("count_option")
        filter_kind = options.WhichOneof("filter_option")
        direction = options.read_direction
        combination = (_STREAM_CASE[source], _COUNT_CASE[count_kind], _DIRECTION.get(direction, str(direction)),
                       _FILTER_CASE[filter_kind])
        uuid_kind = options.uuid_option.WhichOneof("content")
        if uuid_kind is None:
            raise errors.invalid_argument("None", "UUIDOption.ContentOneofCase")
        structured = uuid_kind == "structured"
        if source == "stream" and filter_kind == "no_filter" and direction in _DIRECTION:
            if count_kind == "count":
                reader = _read_stream(options, structured, log)
            elif count_kind == "subscription" and direction == _FORWARDS:
                reader = _subscribe_stream(options, structured, log, changes)
            else:
                raise errors.invalid_combination(combination)
        elif source == "all" and filter_kind is not None and direction in _DIRECTION:
            event_filter = _filter(options) if filter_kind == "filter" else None
            if count_kind == "count":
                reader = _read_all(options, structured, event_filter, log)
            elif count_kind == "subscription" and direction == _FORWARDS:
                reader = _subscribe_all(options, structured, event_filter, log, changes)
            else:
                raise errors.invalid_combination(combination)
        else:
            raise errors.invalid_combination(combination)
        async for response in reader:
            yield response
    except errors.RpcError as exc:
        await context.abort(exc.code, exc.details, exc.trailers)


def _filter(options: _Options) -> EventFilter:
    filter_options = options.filter
    kind = filter_options.WhichOneof("filter")
    if kind is None:
        raise errors.invalid_argument("None", "FilterOptions.FilterOneofCase")
    expression = getattr(filter_options, kind)
    window = filter_options.max if filter_options.WhichOneof("window") == "max" else 0
    try:
        return compile_filter(by_stream=kind == "stream_identifier", regex=expression.regex,
                              prefixes=list(expression.prefix), max_window=window,
                              multiplier=filter_options.checkpointIntervalMultiplier)
    except FilterError as exc:
        raise errors.invalid_filter(str(exc)) from None


# --- one stream -----------------------------------------------------------------------------

async def _read_stream(options: _Options, structured: bool, log: EventLog) -> AsyncIterator[bytes]:
    stream_options = options.stream
    name = protocol.stream_name(stream_options.stream_identifier)
    start_kind = stream_options.WhichOneof("revision_option")
    if start_kind is None:
        raise errors.invalid_argument("None", "StreamOptions.RevisionOptionOneofCase")
    visible = log.stream_slice(name)
    if visible.status == "deleted":
        raise errors.stream_deleted(name)
    if visible.status == "not_found":
        yield protocol.stream_not_found_resp(name)
        return
    remaining = options.count
    records, first, last, min_created = visible.records, visible.first, visible.last, visible.min_created
    if options.read_direction == _FORWARDS:
        revision = (0 if start_kind == "start" else last + 1 if start_kind == "end"
                    else stream_options.revision)
        revisions = range(max(revision, first), last + 1)
    else:
        revision = (0 if start_kind == "start" else last if start_kind == "end"
                    else min(stream_options.revision, last))
        revisions = range(revision, first - 1, -1)
    for revision in revisions:
        if remaining <= 0:
            return
        record = records[revision]
        if record.created < min_created:
            continue
        remaining -= 1
        yield protocol.event_resp(record, structured=structured)


async def _subscribe_stream(options: _Options, structured: bool, log: EventLog,
                            changes: Changes) -> AsyncIterator[bytes]:
    stream_options = options.stream
    name = protocol.stream_name(stream_options.stream_identifier)
    start_kind = stream_options.WhichOneof("revision_option")
    if start_kind is None:
        raise errors.invalid_argument("None", "StreamOptions.RevisionOptionOneofCase")
    # Where to start is fixed before confirming: a client that appends after the confirmation
    # must see its event, even when subscribing from the end.
    if start_kind == "start":
        next_revision = 0
    elif start_kind == "end":
        next_revision = log.stream_last(name)[0] + 1
    else:
        next_revision = stream_options.revision + 1  # a subscription starts after the given revision
    yield protocol.confirmation_resp(str(uuid.uuid4()))
    caught_up = False
    while True:
        event = changes.event
        visible = log.stream_slice(name)
        if visible.status == "deleted":
            raise errors.stream_deleted(name)
        if visible.status == "ok":
            records, min_created = visible.records, visible.min_created
            revision = max(next_revision, visible.first)
            while revision <= visible.last:
                record = records[revision]
                revision += 1
                if record.created >= min_created:
                    yield protocol.event_resp(record, structured=structured)
            next_revision = max(next_revision, revision)
        if not caught_up:
            caught_up = True
            yield protocol.CAUGHT_UP_RESP
        while True:
            last, tombstoned = log.stream_last(name)
            if tombstoned or last >= next_revision:
                break
            await event.wait()
            event = changes.event


# --- $all -----------------------------------------------------------------------------------

async def _read_all(options: _Options, structured: bool, event_filter: EventFilter | None,
                    log: EventLog) -> AsyncIterator[bytes]:
    all_options = options.all
    start_kind = all_options.WhichOneof("all_option")
    if start_kind is None:
        raise errors.invalid_argument("None", "AllOptions.AllOptionOneofCase")
    head = log.head
    records = log.all
    remaining = options.count
    matches = event_filter.matches if event_filter is not None else None
    if options.read_direction == _FORWARDS:
        if start_kind == "start":
            index = 0
        elif start_kind == "end":
            index = head
        else:
            index = log.index_from(all_options.position.commit_position, inclusive=True)
        indexes = range(index, head)
    else:
        if start_kind == "start":
            index = -1
        elif start_kind == "end":
            index = head - 1
        else:  # backwards from a position excludes the event at that position
            index = log.index_from(all_options.position.commit_position, inclusive=True) - 1
        indexes = range(index, -1, -1)
    for index in indexes:
        if remaining <= 0:
            return
        record = records[index]
        if matches is not None and not matches(record):
            continue
        remaining -= 1
        yield protocol.event_resp(record, structured=structured)


async def _subscribe_all(options: _Options, structured: bool, event_filter: EventFilter | None,
                         log: EventLog, changes: Changes) -> AsyncIterator[bytes]:
    all_options = options.all
    start_kind = all_options.WhichOneof("all_option")
    if start_kind is None:
        raise errors.invalid_argument("None", "AllOptions.AllOptionOneofCase")
    if start_kind == "start":
        index = 0
    elif start_kind == "end":
        index = log.head
    else:  # a subscription starts after the given position
        index = log.index_from(all_options.position.commit_position, inclusive=False)
    yield protocol.confirmation_resp(str(uuid.uuid4()))  # only once the start is fixed
    records = log.all
    matches = event_filter.matches if event_filter is not None else None
    interval = event_filter.checkpoint_interval if event_filter is not None else 0
    scanned = 0  # records looked at since the last checkpoint (filtered subscriptions only)
    caught_up = False
    while True:
        event = changes.event
        head = log.head
        while index < head:
            record = records[index]
            index += 1
            if matches is None:
                yield protocol.event_resp(record, structured=structured)
                continue
            if matches(record):
                yield protocol.event_resp(record, structured=structured)
            scanned += 1
            if scanned >= interval:
                # Everything up to and including this position has been seen: a subscriber that
                # restarts from here (exclusive) misses nothing, even if nothing matched.
                scanned = 0
                yield protocol.checkpoint_resp(record.position)
        if not caught_up:
            caught_up = True
            if scanned:
                scanned = 0
                yield protocol.checkpoint_resp(records[index - 1].position)
            yield protocol.CAUGHT_UP_RESP
        while log.head == index:
            await event.wait()
            event = changes.event
