"""Start and stop the embedded event store: storage, log, writer and the gRPC services."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from esdbclient.protos.Grpc import gossip_pb2_grpc, streams_pb2, streams_pb2_grpc

from eventlog.server.gossip_service import GossipService
from eventlog.server.log import EventLog
from eventlog.server.notify import Changes
from eventlog.server.records import ANY, JSON, ProposedEvent, WriteRequest
from eventlog.server.storage import open_storage
from eventlog.server.streams_service import StreamsService
from eventlog.server.writer import Writer

logger = logging.getLogger("eventlog.server")

# As large as esdbclient's receive limit, so any append it can send is received.
MAX_MESSAGE_BYTES = 17 * 1024 * 1024
EPOCH_STREAM = "$epoch-information"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def _add_streams_service(service: StreamsService, server: grpc.aio.Server) -> None:
    """Register Streams like streams_pb2_grpc does, except that Read's responses are bytes.

    Read yields responses that are serialized once per event and cached, so the serializer
    passes bytes through instead of serializing a message per event per reader.
    """
    def passthrough(response: bytes) -> bytes:
        return response

    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Read": grpc.unary_stream_rpc_method_handler(
            service.Read, request_deserializer=streams_pb2.ReadReq.FromString,
            response_serializer=passthrough),
        "Append": grpc.stream_unary_rpc_method_handler(
            service.Append, request_deserializer=streams_pb2.AppendReq.FromString,
            response_serializer=streams_pb2.AppendResp.SerializeToString),
        "Delete": grpc.unary_unary_rpc_method_handler(
            service.Delete, request_deserializer=streams_pb2.DeleteReq.FromString,
            response_serializer=streams_pb2.DeleteResp.SerializeToString),
        "Tombstone": grpc.unary_unary_rpc_method_handler(
            service.Tombstone, request_deserializer=streams_pb2.TombstoneReq.FromString,
            response_serializer=streams_pb2.TombstoneResp.SerializeToString),
        "BatchAppend": grpc.stream_stream_rpc_method_handler(
            service.BatchAppend, request_deserializer=streams_pb2.BatchAppendReq.FromString,
            response_serializer=streams_pb2.BatchAppendResp.SerializeToString),
    }
    # Every Streams RPC must be registered here: fail loudly if the stubs grow a new one.
    assert set(handlers) == set(streams_pb2.DESCRIPTOR.services_by_name["Streams"].methods_by_name)
    assert issubclass(StreamsService, streams_pb2_grpc.StreamsServicer)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("event_store.client.streams.Streams", handlers),))


async def serve(*, host: str, port: int, data_dir: Path | None, advertise_host: str | None = None,
                synchronous: str = "FULL", ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Run the server until `stop` is set (or SIGTERM/SIGINT when stop is None)."""
    loop = asyncio.get_running_loop()
    if stop is None:
        # Installed first, so a SIGTERM at any point after start-up begins shuts down cleanly.
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    storage = open_storage(data_dir, synchronous=synchronous)
    log = EventLog()
    log.load(storage.load())
    changes = Changes()
    writer = Writer(log, storage, loop, changes.notify)
    try:
        instance_id = str(uuid.uuid4())
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                          ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                          ("grpc.so_reuseport", 0)])
        _add_streams_service(StreamsService(log, writer, changes), server)
        advertised = advertise_host or ("127.0.0.1" if host in _WILDCARD_HOSTS else host)
        gossip_pb2_grpc.add_GossipServicer_to_server(
            GossipService(instance_id=instance_id, advertise_host=advertised, port=port), server)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        server.add_insecure_port(address)  # raises RuntimeError when the port is taken
        # Like EventStoreDB on each election, record an epoch: a system event in $all that the
        # client's default filter (event types starting with "$") hides.
        epochs = log.streams.get(EPOCH_STREAM)
        epoch = {"epochNumber": len(epochs.records) if epochs else 0, "epochPosition": log.next_position,
                 "epochId": str(uuid.uuid4()), "leaderInstanceId": instance_id}
        await writer.submit(WriteRequest("append", EPOCH_STREAM, ANY, (ProposedEvent(
            str(uuid.uuid4()), EPOCH_STREAM, JSON, json.dumps(epoch).encode(), b""),)))
        await server.start()
        store = (f"SQLite in {data_dir} (synchronous={synchronous.upper()})" if data_dir is not None
                 else "memory only (nothing is kept)")
        print(f"eventlog.server: UNAUTHENTICATED development event store (EventStoreDB gRPC protocol) "
              f"listening on {address}; connect with esdb://{advertised}:{port}?Tls=false; "
              f"storage: {store}; {log.head} events in $all. Not for production.", flush=True)
        if ready is not None:
            ready.set()
        await stop.wait()
        print("eventlog.server: stopping", flush=True)
        # Give in-flight appends a moment; live subscriptions are cancelled after the grace.
        await server.stop(grace=1.0)
    finally:
        writer.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options shared by `python -m eventlog.server` and `manage.py eventstore`."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=2113)
    parser.add_argument("--advertise-host", default=None, help="host name reported by gossip")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite fsync policy: full (default) survives power loss, normal only a crash")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, help="directory of the SQLite event log")
    where.add_argument("--memory", action="store_true", help="keep events in memory only (tests)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options of `python -m eventlog.server`."""
    parser = argparse.ArgumentParser(prog="python -m eventlog.server",
                                     description="Embedded EventStoreDB-compatible development server.")
    add_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server from command-line arguments; return the process exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The writer thread needs the GIL right after its fsync; a short switch interval keeps the
    # event loop from holding it for the default 5 ms while acknowledgements wait.
    sys.setswitchinterval(0.001)
    try:
        asyncio.run(serve(host=args.host, port=args.port, data_dir=None if args.memory else args.data,
                          advertise_host=args.advertise_host, synchronous=args.synchronous))
    except RuntimeError as exc:
        print(f"eventlog.server: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
