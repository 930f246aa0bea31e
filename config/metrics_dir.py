"""Prometheus's multiprocess directory: cleared when a gunicorn master or a Celery worker starts.

Processes that share PROMETHEUS_MULTIPROC_DIR write their counters to files there and a scrape adds
them up (config/views.py for gunicorn's workers, config/worker_signals.py for a Celery worker's pool).
Files left by a previous run would be added to the new one's, so the directory is emptied at start,
before any child process exists.

prometheus_client decides at import whether it runs in multiprocess mode, from this variable: nothing
here imports it at module level, so the gunicorn master can still set the variable first.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> Path | None:
    """The multiprocess directory of this process, if metrics are kept across processes."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def prepare_multiproc_dir(*, default_prefix: str | None = None) -> Path | None:
    """Empty (and create) the multiprocess directory; with `default_prefix`, make a fresh one when none is set."""
    directory = multiproc_dir()
    if directory is None and default_prefix is not None:
        directory = Path(tempfile.mkdtemp(prefix=default_prefix))
        os.environ[ENV] = str(directory)  # inherited by the processes forked from here on
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):  # only prometheus_client's files: it may be a mounted volume
        leftover.unlink(missing_ok=True)
    return directory


def mark_process_dead(pid: int) -> None:
    """Tell prometheus_client a process is gone (its live gauges stop counting; counters stay)."""
    if multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
