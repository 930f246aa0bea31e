"""Prometheus metrics of the read side, measured when scraped: lag, dead letters, generations, rebuilds."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from eventlog import connections
from eventlog.subscriptions.status import status
from eventlog.subscriptions.subscribers import all_subscribers

log = logging.getLogger(__name__)
LAG_CAP = 10_000  # counting lag reads the unapplied events; a scrape stops counting here


class ReadSideCollector(Collector):
    """One set of gauges per subscriber, read from Redis and the event store at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag_events = GaugeMetricFamily("ordersys_projection_lag_events", "Matching events not yet applied.",
                                       labels=["subscriber"])
        lag_seconds = GaugeMetricFamily("ordersys_projection_lag_seconds",
                                        "Age of the oldest event not yet applied.", labels=["subscriber"])
        dead = GaugeMetricFamily("ordersys_dead_letters", "Parked events waiting for retry or discard.",
                                 labels=["subscriber"])
        generation = GaugeMetricFamily("ordersys_projection_generation", "Live read-model generation.",
                                       labels=["subscriber"])
        halted = GaugeMetricFamily("ordersys_projection_halted", "1 when stopped before a poison event.",
                                   labels=["subscriber"])
        rebuilt = GaugeMetricFamily("ordersys_rebuild_events_done", "Events applied by a rebuild in progress.",
                                    labels=["subscriber", "generation"])
        partitions = GaugeMetricFamily("ordersys_projection_partitions", "Partitions of the serving generation.",
                                       labels=["subscriber"])
        part_lag = GaugeMetricFamily("ordersys_partition_lag_events", "Matching events one partition has not applied.",
                                     labels=["subscriber", "partition"])
        part_seconds = GaugeMetricFamily("ordersys_partition_lag_seconds",
                                         "Age of the oldest event one partition has not applied.",
                                         labels=["subscriber", "partition"])
        part_dead = GaugeMetricFamily("ordersys_partition_dead_letters", "Parked events of one partition.",
                                      labels=["subscriber", "partition"])
        client, store = connections.redis(), connections.event_store()
        for subscriber in all_subscribers():
            name = subscriber.spec.name
            try:
                s = status(subscriber, store=store, redis_client=client, lag_cap=LAG_CAP)
            except Exception:  # a scrape must not fail because one dependency is down
                log.warning("cannot read the status of %s", name, exc_info=True)
                continue
            lag_events.add_metric([name], s.lag_events)
            lag_seconds.add_metric([name], s.lag_seconds)
            dead.add_metric([name], s.dead_letters)
            generation.add_metric([name], s.generation)
            halted.add_metric([name], 1 if s.state == "halted" else 0)
            if s.rebuild is not None:
                rebuilt.add_metric([name, str(s.rebuild.generation)], s.rebuild.done)
            partitions.add_metric([name], s.partition_count)
            for part in s.partitions:  # only when split: an unpartitioned subscriber's figures are the ones above
                part_lag.add_metric([name, str(part.index)], part.lag_events)
                part_seconds.add_metric([name, str(part.index)], part.lag_seconds)
                part_dead.add_metric([name, str(part.index)], part.dead_letters)
        yield from (lag_events, lag_seconds, dead, generation, halted, rebuilt, partitions, part_lag, part_seconds,
                    part_dead)
