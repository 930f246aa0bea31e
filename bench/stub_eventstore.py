"""A do-nothing EventStoreDB gRPC server: the cost of the protocol and of esdbclient alone.

It acknowledges appends without storing anything and streams canned events for `$all`
reads and catch-up subscriptions, so a bench can compare the embedded server against the
same client layout talking to a server that does no work. Run it in its own process so
that it does not share a GIL with the clients:

    python bench/stub_eventstore.py --port 2113 --events 15000
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
from esdbclient.protos.Grpc import shared_pb2, streams_pb2, streams_pb2_grpc

# How many distinct canned events to build; reads cycle through them.
CANNED_DISTINCT = 1_000
# A live subscription stays open after "caught up" until the client cancels, as on a real
# server; this only bounds how long a forgotten one can hold a worker thread.
SUBSCRIPTION_HOLD_SECONDS = 30.0
# Unix epoch in .NET ticks (100 ns) is what esdbclient expects in the "created" metadata.
TICKS_PER_SECOND = 10_000_000


def stub_command(port: int, *, events: int, prefix: str = "order-") -> list[str]:
    """The command line that starts this stub on a loopback port."""
    return [sys.executable, str(Path(__file__).resolve()), "--port", str(port),
            "--events", str(events), "--prefix", prefix]


def sample_payload(index: int) -> tuple[bytes, bytes]:
    """Data and metadata shaped like an OrderCreated envelope; benches append the same shape."""
    data = json.dumps({"order_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()),
                       "lines": [{"sku": f"SKU-{index % 97}", "quantity": 2, "unit_price": "19.90"}],
                       "total": "39.80"}).encode()
    metadata = json.dumps({"correlation_id": str(uuid.uuid4()), "causation_id": None,
                           "actor": "bench", "schema_version": 1}).encode()
    return data, metadata


def canned_read_resps(*, prefix: str, count: int = CANNED_DISTINCT) -> list[streams_pb2.ReadResp]:
    """Recorded events shaped like the product's, built once so reads only serialize."""
    created = str(int(time.time() * TICKS_PER_SECOND))
    resps = []
    for i in range(count):
        data, metadata = sample_payload(i)
        recorded = streams_pb2.ReadResp.ReadEvent.RecordedEvent(
            id=shared_pb2.UUID(string=str(uuid.uuid4())),
            stream_identifier=shared_pb2.StreamIdentifier(stream_name=f"{prefix}{uuid.uuid4()}".encode()),
            stream_revision=0, prepare_position=i, commit_position=i,
            metadata={"type": "OrderCreated", "content-type": "application/json", "created": created},
            custom_metadata=metadata, data=data,
        )
        read_event = streams_pb2.ReadResp.ReadEvent(event=recorded, commit_position=i)
        resps.append(streams_pb2.ReadResp(event=read_event))
    return resps


class StubStreams(streams_pb2_grpc.StreamsServicer):
    """Streams service that answers every call as cheaply as the protocol allows."""

    def __init__(self, *, events: int, prefix: str) -> None:
        self._events = events
        self._canned = canned_read_resps(prefix=prefix)
        # next() on itertools.count is atomic under the GIL, so threads need no lock.
        self._positions = itertools.count(1)

    def Append(self, request_iterator: Iterator[streams_pb2.AppendReq],  # noqa: N802 - gRPC name
               context: grpc.ServicerContext) -> streams_pb2.AppendResp:
        """Drain the options and proposed messages, then acknowledge them."""
        proposed = sum(1 for req in request_iterator if req.WhichOneof("content") == "proposed_message")
        position = next(self._positions)
        return streams_pb2.AppendResp(success=streams_pb2.AppendResp.Success(
            current_revision=max(proposed - 1, 0),
            position=streams_pb2.AppendResp.Position(commit_position=position, prepare_position=position),
        ))

    def BatchAppend(self, request_iterator: Iterator[streams_pb2.BatchAppendReq],  # noqa: N802
                    context: grpc.ServicerContext) -> Iterator[streams_pb2.BatchAppendResp]:
        """Acknowledge each final batch request, echoing its correlation id."""
        proposed = 0
        for req in request_iterator:
            proposed += len(req.proposed_messages)
            if not req.is_final:
                continue
            position = next(self._positions)
            yield streams_pb2.BatchAppendResp(
                correlation_id=req.correlation_id,
                stream_identifier=req.options.stream_identifier,
                success=streams_pb2.BatchAppendResp.Success(
                    current_revision=max(proposed - 1, 0),
                    position=shared_pb2.AllStreamPosition(commit_position=position,
                                                          prepare_position=position),
                ),
            )
            proposed = 0

    def Read(self, request: streams_pb2.ReadReq,  # noqa: N802 - gRPC name
             context: grpc.ServicerContext) -> Iterator[streams_pb2.ReadResp]:
        """Streams report not found; `$all` reads stream the canned events, subscriptions then catch up."""
        options = request.options
        if options.WhichOneof("stream_option") == "stream":
            yield streams_pb2.ReadResp(stream_not_found=streams_pb2.ReadResp.StreamNotFound(
                stream_identifier=options.stream.stream_identifier))
            return
        subscribe = options.WhichOneof("count_option") == "subscription"
        if subscribe:
            yield streams_pb2.ReadResp(confirmation=streams_pb2.ReadResp.SubscriptionConfirmation(
                subscription_id=str(uuid.uuid4())))
        limit = self._events if subscribe else min(self._events, options.count)
        canned = self._canned
        for i in range(limit):
            yield canned[i % len(canned)]
        if subscribe:
            yield streams_pb2.ReadResp(caught_up=streams_pb2.ReadResp.CaughtUp())
            self._hold_until_cancelled(context)

    @staticmethod
    def _hold_until_cancelled(context: grpc.ServicerContext) -> None:
        """Keep a caught-up subscription open, as a live one would be, until the client leaves."""
        done = threading.Event()
        if context.add_callback(done.set):
            done.wait(SUBSCRIPTION_HOLD_SECONDS)


def serve(*, host: str, port: int, events: int, prefix: str) -> None:
    """Serve until terminated."""
    # Enough threads for 16 concurrent writers plus readers and held subscriptions.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    streams_pb2_grpc.add_StreamsServicer_to_server(StubStreams(events=events, prefix=prefix), server)
    server.add_insecure_port(f"{host}:{port}")
    server.start()
    server.wait_for_termination()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=int, default=10_000, help="events per read / before caught-up")
    parser.add_argument("--prefix", default="order-", help="stream name prefix of the canned events")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, events=args.events, prefix=args.prefix)


if __name__ == "__main__":
    main()
