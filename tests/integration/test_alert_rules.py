"""The alert rules in deploy/prometheus/alerts.yml use only metrics the application exports."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from eventlog import connections
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.subscribers import all_subscribers
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.roles import OPERATIONS
from tests.conftest import make_staff, start_subscribers_at_head

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
            "gauge": ()}
pytestmark = pytest.mark.django_db(transaction=True)


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def exported_names(body: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(body):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_the_rules_cover_what_an_operator_must_hear_about():
    exprs = {rule["alert"]: rule["expr"] for rule in rules()}
    for rule in rules():
        assert rule["labels"]["severity"] in {"warning", "critical"} and rule["annotations"]["summary"], rule
    for needed in ("ordersys_projection_lag_seconds", "ordersys_dead_letters", "ordersys_projection_halted",
                   "ordersys_beat_heartbeat_age_seconds", "ordersys_dependency_up", "ordersys_commands_total"):
        assert any(needed in expr for expr in exprs.values()), f"no rule uses {needed}"


def test_every_metric_the_rules_use_is_exported(client, redis_client, app_store, unique):
    start_subscribers_at_head(redis_client, app_store)
    dispatch(ReceiveStock(sku=f"ALERT-{unique}".upper(), quantity=1), actor=Actor.staff("1"))
    for candidate in all_subscribers():  # as a worker would: batches applied, counted
        run_subscriber(candidate, store=connections.event_store(), redis_client=redis_client)
    client.force_login(make_staff(f"alerts{unique}", role=OPERATIONS))
    body = client.get("/metrics").content.decode()

    used = {name for rule in rules() for name in re.findall(r"\bordersys_[a-z0-9_]+", rule["expr"])}
    assert used and used <= exported_names(body), sorted(used - exported_names(body))
    assert 'ordersys_dependency_up{dependency="eventstore"} 1.0' in body
    assert 'ordersys_dependency_up{dependency="redis"} 1.0' in body


def test_beat_heartbeat_age_is_exported_from_the_key_beat_writes(client, redis_client, unique):
    import time

    from config.metrics_collectors import BEAT_HEARTBEAT_KEY

    client.force_login(make_staff(f"beat{unique}", role=OPERATIONS))
    redis_client.delete(BEAT_HEARTBEAT_KEY)
    assert "ordersys_beat_heartbeat_age_seconds +Inf" in client.get("/metrics").content.decode()
    redis_client.set(BEAT_HEARTBEAT_KEY, time.time() - 42)
    [sample] = [s for f in text_string_to_metric_families(client.get("/metrics").content.decode())
                for s in f.samples if s.name == "ordersys_beat_heartbeat_age_seconds"]
    assert 42 <= sample.value < 60
