"""Structured logs: JSON lines in production, readable lines in development, the same fields in both.

Django's, Celery's and our own loggers all go through structlog's formatter, so the correlation
id bound for a request or a task appears on every line written while it runs.
"""
from __future__ import annotations

import logging
from typing import Any

import structlog

SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, json_logs: bool, level: str) -> dict[str, Any]:
    """The dict for Django's LOGGING setting (and structlog's own configuration)."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.captureWarnings(True)  # Python warnings (Celery's, Django's) become log lines in the same format
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                               structlog.processors.format_exc_info, renderer],
                "foreign_pre_chain": SHARED_PROCESSORS,
            },
        },
        "filters": {
            "outages": {"()": "config.log_filters.OutageRateLimitFilter"},
            "warning_without_traceback": {"()": "config.log_filters.WarningWithoutTracebackFilter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured",
                                 "filters": ["outages"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": []},  # not Django's default plain console handler too (a second line in DEBUG)
            "django.server": {"level": "WARNING"},  # the request middleware logs requests once
            "celery.app.trace": {"level": "WARNING"},  # beat's backstop succeeds every second
            "celery.worker.strategy": {"level": "WARNING"},  # "Task received", once per beat tick
            "celery.beat": {"level": "WARNING"},  # "Sending due task", once per tick
            # A request for a host not in ALLOWED_HOSTS is the client's mistake (or a scanner): no traceback.
            "django.security.DisallowedHost": {"filters": ["warning_without_traceback"]},
        },
    }
