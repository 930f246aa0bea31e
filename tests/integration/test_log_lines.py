"""Web log lines an operator can read: every line of a request carries its id; a bad Host is no ERROR."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import structlog

from config.logging import SHARED_PROCESSORS

pytestmark = pytest.mark.django_db


@contextmanager
def json_lines() -> Iterator[list[dict]]:
    """Every line logged in the block, rendered as the production JSON lines are (filled at the end)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer()],
        foreign_pre_chain=SHARED_PROCESSORS))
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_every_line_of_a_refused_request_carries_its_request_id(client):
    with json_lines() as lines:
        response = client.get("/no/such/page/")

    assert response.status_code == 404
    loggers = [line["logger"] for line in lines]
    assert loggers.count("django.request") == 1  # logged once: by the middleware, not again by Django
    for line in lines:
        assert line["correlation_id"] == response["X-Request-ID"], line


def test_a_host_not_allowed_is_a_warning_without_a_traceback(client):
    with json_lines() as lines:
        response = client.get("/ping", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    [security] = [line for line in lines if line["logger"] == "django.security.DisallowedHost"]
    assert security["level"] == "warning" and "exception" not in security
    assert "attacker.example" in security["event"]
    assert all(line["level"] != "error" for line in lines)
