"""Where one command's time goes: cProfile of `dispatch` (create an order, confirm it) on one thread.

Run from the repo root: `.venv/bin/python bench/profile_dispatch.py [--orders N] [--sort tottime]`.
Starts its own embedded event store (on disk), Redis and SQLite catalogue, like bench/commands.py,
warms up, then profiles N orders and prints the top functions (wall clock: waiting on the event
store shows up in the gRPC calls). The server runs in its own process, so its CPU is not in here.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import cProfile
import pstats
import tempfile
import time

from bench.commands import command_pair, seed_catalogue
from bench.common import embedded_eventstore, note, running
from bench.django_env import configure_django
from config.devstack.local_services import redis_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--create-only", action="store_true", help="profile CreateOrder alone")
    args = parser.parse_args()
    with (tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp,
          embedded_eventstore(data_dir=Path(tmp) / "es") as es_port,
          running(lambda port: redis_command(port), name="redis") as redis_port):
        configure_django(es_port, redis_port, str(Path(tmp) / "catalogue.sqlite3"))
        seed_catalogue()
        from orders.domain.values import Actor
        from orders.handlers import dispatch

        system = Actor.system("bench")

        def one(index: int) -> None:
            create, confirm = command_pair(index)
            dispatch(create, actor=Actor.customer(create.customer_id))
            if not args.create_only:
                dispatch(confirm, actor=system)

        for index in range(200):  # warm up: connections, pydantic adapters, caches
            one(index)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for index in range(args.orders):
            one(index)
        profiler.disable()
        elapsed = time.perf_counter() - started
        note(f"{args.orders} orders (create + confirm) in {elapsed:.2f}s under the profiler: "
             f"{args.orders / elapsed:.0f} orders/s, {elapsed / args.orders * 1e6:.0f} us per order")
        pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
