"""Fixtures shared by the whole suite: the private event store and Redis started by the plugin."""
from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import uuid

import pytest
import redis

from eventlog.store import EventStore


def start_subscribers_at_head(client: redis.Redis, store: EventStore) -> None:
    """The event store is shared by the whole run: tests' subscribers only need what comes after now."""
    from eventlog.subscriptions import keys
    from eventlog.subscriptions.subscribers import all_subscribers

    head = store.head_position()
    for candidate in all_subscribers():
        client.set(keys.checkpoint(candidate.spec.name, 1), head)
        client.set(keys.built_version(candidate.spec.name), candidate.spec.version)  # built by this code


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """The test database in a file rather than in memory, so Celery workers a test starts can share it.

    Why: customers' data keys live in the database; a worker decoding the test's orders must find them.
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3") and not default.get("TEST", {}).get("NAME"):
        default.setdefault("TEST", {})["NAME"] = f"{tempfile.gettempdir()}/ordersys-test-db-{os.getpid()}.sqlite3"
        _keep_test_transactions_open()


def _keep_test_transactions_open() -> None:
    """As with the in-memory database, never close a connection inside a test's transaction.

    A request handled outside the test client (schemathesis calls the WSGI app) runs Django's
    close_old_connections, which closes a connection whose autocommit differs from the settings', i.e.
    the one a test's transaction runs on; an in-memory database ignored that, a file would not.
    """
    from django.db.backends.sqlite3.base import DatabaseWrapper

    close = DatabaseWrapper.close

    def close_outside_transactions(self: DatabaseWrapper) -> None:
        if not self.in_atomic_block:
            close(self)

    DatabaseWrapper.close = close_outside_transactions  # type: ignore[method-assign]


def shared_test_database() -> str:
    """The file of the run's test database (after pytest-django set it up), for processes tests start."""
    from django.db import connection

    return str(connection.settings_dict["NAME"])


@pytest.fixture(scope="session")
def eventstore_url() -> str:
    """URL of the run's private event store (or ESDB_TEST_URL when given)."""
    return os.environ["EVENTSTORE_URL"]


@pytest.fixture(scope="session")
def app_store(eventstore_url: str) -> EventStore:
    """A store with the application's registry, as the handlers use it."""
    store = EventStore(eventstore_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory):
    """Users, tokens and products in a migrated SQLite file (tests.faults.stack.Template), built once per run."""
    from tests.faults.stack import build_template

    return build_template(tmp_path_factory.mktemp("db-template"))


@pytest.fixture(scope="session")
def worker_database_url(template, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for the Celery workers tests start (the test database lives in this process's memory).

    Workers need one: the notifications subscriber keeps its records in the Django database.
    """
    path = tmp_path_factory.mktemp("worker-db") / "db.sqlite3"
    shutil.copyfile(template.path, path)
    return f"sqlite:///{path}"


@pytest.fixture
def redis_client() -> redis.Redis:
    """A client of the run's private Redis, emptied before each test that asks for it."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _no_catalogue_carried_over() -> None:
    """A product a previous test saved (rolled back since, without a signal) is not remembered by this one."""
    catalogue = sys.modules.get("orders.catalogue")
    if catalogue is not None:
        catalogue.forget_recent()


@pytest.fixture(autouse=True)
def _no_data_keys_carried_over() -> None:
    """A data key a previous test made (its row rolled back since) is not used from this process's cache."""
    from eventlog.pii import keyring

    keyring().forget_cached_keys()


@pytest.fixture(autouse=True)
def _no_lockouts_carried_over(request) -> None:
    """Login failures counted by django-axes (in the database) never carry from one test into another."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames \
            and "transactional_db" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    from axes.utils import reset

    reset()


@pytest.fixture
def unique() -> str:
    """A short unique suffix so tests sharing the event store never share streams."""
    return uuid.uuid4().hex[:12]


def ensure_role_groups() -> None:
    """Create the role groups as their data migrations do (a transactional test's flush removes them)."""
    from django.apps import apps

    importlib.import_module("orders.migrations.0003_staff_groups").create_groups(apps, None)
    importlib.import_module("orders.migrations.0004_manage_customer_data").grant(apps, None)


def make_staff(username: str, *, role: str | None = None, superuser: bool = False, password: str = "x-staff-pw-1"):
    """A staff user in the role group `role` (None: staff with no permission at all), or a superuser."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, f"{username}@example.com", password, is_staff=True,
                                                is_superuser=superuser)
    if role is not None:
        ensure_role_groups()
        user.groups.add(Group.objects.get(name=role))
    return user
