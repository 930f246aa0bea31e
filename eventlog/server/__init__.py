"""An embedded, EventStoreDB-compatible event store for development and tests.

It speaks EventStoreDB's own gRPC protocol (the stubs shipped by esdbclient), so the application
uses the very same `esdbclient.EventStoreDBClient` code against it as against EventStoreDB or
KurrentDB. It is unauthenticated, single-node and meant for laptops and CI, never production.

Layout (one concern per module):

- records.py        plain data: Record, ProposedEvent, WriteRequest/WriteResult, sentinels
- storage.py        durable storage: SQLite (WAL, synchronous=FULL) or memory
- log.py            the in-memory log and index; expected-version and idempotency decisions
- writer.py         the single writer with group commit
- notify.py         wake-ups for live subscriptions
- filters.py        server-side `$all` filters
- protocol.py       protobuf <-> records
- errors.py         EventStoreDB's gRPC errors
- streams_service.py, reads.py   the Streams service (writes; reads and subscriptions)
- gossip_service.py the Gossip service (one alive leader, for esdb+discover://)
- server.py, __main__.py         start-up, shutdown and the command line

Concurrency model: the server runs on grpc.aio, one asyncio event loop. Reads and catch-up
subscriptions are coroutines over the in-memory log, so subscribers (Celery workers, web
processes) never hold a thread: a live subscription waiting for events costs a parked coroutine,
not a slot in a thread pool, and there is no pool to exhaust. The only other thread is the
SQLite writer, which drains a queue of pending appends and commits each group in one
transaction (group commit); with --memory appends are decided inline on the loop.

It must not import Django: it starts standalone and fast.
"""
