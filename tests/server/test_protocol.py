"""The wire protocol: gossip and discovery, and malformed requests rejected like EventStoreDB does.

Malformed requests cannot be made with esdbclient, so these use the raw gRPC stubs it ships.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import grpc
import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.exceptions import NotFound
from esdbclient.protos.Grpc import gossip_pb2_grpc, shared_pb2, streams_pb2, streams_pb2_grpc

from tests.server.helpers import event

Options = streams_pb2.ReadReq.Options


@pytest.fixture(scope="module")
def channel(esdb_url: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(urlparse(esdb_url).netloc) as chan:
        yield chan


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> streams_pb2_grpc.StreamsStub:
    return streams_pb2_grpc.StreamsStub(channel)


def options(stream: str, **expected: object) -> streams_pb2.AppendReq:
    return streams_pb2.AppendReq(options=streams_pb2.AppendReq.Options(
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()), **expected))


def proposed(event_id: str | None = None, metadata: dict[str, str] | None = None) -> streams_pb2.AppendReq:
    return streams_pb2.AppendReq(proposed_message=streams_pb2.AppendReq.ProposedMessage(
        id=shared_pb2.UUID(string=event_id or str(uuid.uuid4())),
        metadata={"type": "T", "content-type": "application/json"} if metadata is None else metadata,
        data=b"{}"))


def status_of(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code(), caught.value.details()  # type: ignore[attr-defined]


ANY = {"any": shared_pb2.Empty()}


def malformed_append(case: str, stream: str) -> list[streams_pb2.AppendReq]:
    """An Append request stream that is wrong in one way; each has a valid event first."""
    good = proposed()
    return {
        "empty": [],
        "no-options": [good],
        "no-expected-version": [options(stream), good],
        "bad-uuid": [options(stream, **ANY), good, proposed("not-a-uuid")],
        "no-type": [options(stream, **ANY), good, proposed(metadata={"content-type": "application/json"})],
        "no-content-type": [options(stream, **ANY), good, proposed(metadata={"type": "T"})],
        "options-twice": [options(stream, **ANY), good, options(stream, **ANY)],
        "no-stream-name": [options("", **ANY), good],
    }[case]


@pytest.mark.parametrize(("case", "code", "details"), [
    ("empty", grpc.StatusCode.UNKNOWN, "Exception was thrown by handler."),
    ("no-options", grpc.StatusCode.UNKNOWN, "Exception was thrown by handler."),
    ("no-expected-version", grpc.StatusCode.INVALID_ARGUMENT, "is not a valid"),
    ("bad-uuid", grpc.StatusCode.UNKNOWN, "Exception was thrown by handler."),
    ("no-type", grpc.StatusCode.INVALID_ARGUMENT, "Required Metadata Property 'type' is missing"),
    ("no-content-type", grpc.StatusCode.INVALID_ARGUMENT, "Required Metadata Property 'content-type' is missing"),
    ("options-twice", grpc.StatusCode.UNKNOWN, "Exception was thrown by handler."),
    ("no-stream-name", grpc.StatusCode.INVALID_ARGUMENT, "required argument"),
])
def test_malformed_append_is_rejected_and_writes_nothing(client: EventStoreDBClient, stub, stream: str,
                                                         case: str, code: grpc.StatusCode, details: str) -> None:
    requests = malformed_append(case, stream)
    got_code, got_details = status_of(lambda: stub.Append(iter(requests), timeout=5))
    assert got_code == code and details in got_details
    with pytest.raises(NotFound):  # all or nothing: the valid first event was not written either
        client.get_stream(stream)


def test_malformed_batch_append_is_rejected(client: EventStoreDBClient, stub, stream: str) -> None:
    request = streams_pb2.BatchAppendReq(
        correlation_id=shared_pb2.UUID(string=str(uuid.uuid4())),
        options=streams_pb2.BatchAppendReq.Options(
            stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode())),
        proposed_messages=[streams_pb2.BatchAppendReq.ProposedMessage(
            id=shared_pb2.UUID(string=str(uuid.uuid4())), metadata={"type": "T"}, data=b"{}")],
        is_final=True)
    code, details = status_of(lambda: list(stub.BatchAppend(iter([request]), timeout=5)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(NotFound):
        client.get_stream(stream)


def test_batch_append_in_chunks_is_one_atomic_append(client: EventStoreDBClient, stub, stream: str) -> None:
    correlation = shared_pb2.UUID(string=str(uuid.uuid4()))

    def chunk(type_: str, *, first: bool = False, final: bool = False) -> streams_pb2.BatchAppendReq:
        request = streams_pb2.BatchAppendReq(correlation_id=correlation, is_final=final, proposed_messages=[
            streams_pb2.BatchAppendReq.ProposedMessage(id=shared_pb2.UUID(string=str(uuid.uuid4())),
                                                       metadata={"type": type_, "content-type": "application/json"},
                                                       data=b"{}")])
        if first:
            request.options.stream_identifier.stream_name = stream.encode()
            request.options.no_stream.SetInParent()
        return request

    (response,) = list(stub.BatchAppend(iter([chunk("A", first=True), chunk("B"), chunk("C", final=True)]),
                                        timeout=5))
    assert response.WhichOneof("result") == "success" and response.success.current_revision == 2
    assert response.correlation_id == correlation
    assert [r.type for r in client.get_stream(stream)] == ["A", "B", "C"]


@pytest.mark.parametrize("mutate", ["no-stream-option", "no-count-option", "no-filter-option",
                                    "stream-with-filter", "backwards-subscription", "bad-direction",
                                    "no-uuid-option", "bad-regex"])
def test_malformed_read_is_invalid_argument(stub, mutate: str) -> None:
    opts = Options(all=Options.AllOptions(start=shared_pb2.Empty()), count=10, no_filter=shared_pb2.Empty(),
                   uuid_option=Options.UUIDOption(string=shared_pb2.Empty()))
    if mutate == "no-stream-option":
        opts.ClearField("all")
    elif mutate == "no-count-option":
        opts.ClearField("count")
    elif mutate == "no-filter-option":
        opts.ClearField("no_filter")
    elif mutate == "stream-with-filter":
        opts.stream.stream_identifier.stream_name = b"s"
        opts.stream.start.SetInParent()
        opts.filter.event_type.regex = "x"
    elif mutate == "backwards-subscription":
        opts.subscription.SetInParent()
        opts.read_direction = Options.Backwards
    elif mutate == "bad-direction":
        opts.read_direction = 7  # type: ignore[assignment]
    elif mutate == "no-uuid-option":
        opts.ClearField("uuid_option")
    elif mutate == "bad-regex":
        opts.filter.event_type.regex = "(unclosed"
    code, _details = status_of(lambda: list(stub.Read(streams_pb2.ReadReq(options=opts), timeout=5)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("by_stream", [True, False])
def test_prefix_filters(client: EventStoreDBClient, stub, by_stream: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    start = client.get_commit_position(filter_exclude=[])
    for name, type_ in ((f"pa-{tag}-1", f"Pa{tag}X"), (f"pb-{tag}-1", f"Pb{tag}X"), (f"pa-{tag}-2", f"Pa{tag}Y")):
        client.append_to_stream(name, current_version=StreamState.NO_STREAM, events=event(type_))
    expression = Options.FilterOptions.Expression(prefix=[f"pa-{tag}"] if by_stream else [f"Pa{tag}"])
    filter_options = (Options.FilterOptions(stream_identifier=expression, max=32, checkpointIntervalMultiplier=1)
                      if by_stream else
                      Options.FilterOptions(event_type=expression, max=32, checkpointIntervalMultiplier=1))
    opts = Options(all=Options.AllOptions(position=Options.Position(commit_position=start, prepare_position=start)),
                   count=100, filter=filter_options, uuid_option=Options.UUIDOption(string=shared_pb2.Empty()))
    got = [r.event.event.metadata["type"] for r in stub.Read(streams_pb2.ReadReq(options=opts), timeout=5)]
    assert got == [f"Pa{tag}X", f"Pa{tag}Y"]


def test_structured_uuids_round_trip(client: EventStoreDBClient, stub, stream: str) -> None:
    sent = event()
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=sent)
    opts = Options(stream=Options.StreamOptions(stream_identifier=shared_pb2.StreamIdentifier(
        stream_name=stream.encode()), start=shared_pb2.Empty()), count=1, no_filter=shared_pb2.Empty(),
        uuid_option=Options.UUIDOption(structured=shared_pb2.Empty()))
    (response,) = list(stub.Read(streams_pb2.ReadReq(options=opts), timeout=5))
    structured = response.event.event.id.structured
    number = ((structured.most_significant_bits & (2**64 - 1)) << 64) | (structured.least_significant_bits
                                                                        & (2**64 - 1))
    assert uuid.UUID(int=number) == sent.id


def test_gossip_reports_one_alive_leader(channel: grpc.Channel, esdb_url: str) -> None:
    info = gossip_pb2_grpc.GossipStub(channel).Read(shared_pb2.Empty(), timeout=5)
    (member,) = info.members
    host, port = urlparse(esdb_url).netloc.split(":")
    assert member.is_alive and member.state == member.VNodeState.Leader
    assert (member.http_end_point.address, member.http_end_point.port) == (host, int(port))


def test_discover_url_connects(esdb_url: str, stream: str) -> None:
    netloc = urlparse(esdb_url).netloc
    with EventStoreDBClient(f"esdb+discover://{netloc}?Tls=false") as discovered:
        (member,) = discovered.read_gossip()
        assert member.state == "NODE_STATE_LEADER"
        position = discovered.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event())
        assert discovered.get_commit_position() >= position
