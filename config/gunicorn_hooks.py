"""gunicorn hooks and log configuration for the metrics and logs of several workers.

`config/gunicorn.conf.py` imports these names (or run `gunicorn -c python:config.gunicorn_hooks`):
- `on_starting`: empties PROMETHEUS_MULTIPROC_DIR (makes a temporary one when unset) in the master,
  before any worker exists, so /metrics adds up every worker's counters of this run and no other's;
- `child_exit`: marks a dead worker's metric files as such;
- `logconfig_dict`: gunicorn's own lines (start, worker boot and timeouts) as the app's structured lines.
"""
from __future__ import annotations

import os
from typing import Any

from config.logging import logging_config
from config.metrics_dir import mark_process_dead, prepare_multiproc_dir


def on_starting(server: Any) -> None:
    """Master start: a clean multiprocess metrics directory, inherited by every worker."""
    prepare_multiproc_dir(default_prefix="ordersys-metrics-")


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its live gauges no longer count."""
    mark_process_dead(worker.pid)


def _gunicorn_logging() -> dict[str, Any]:
    debug = os.environ.get("DEBUG", "false").lower() in {"1", "true", "yes", "on"}
    json_logs = os.environ.get("LOG_JSON", str(not debug)).lower() in {"1", "true", "yes", "on"}
    config = logging_config(json_logs=json_logs, level=os.environ.get("LOG_LEVEL", "INFO"))
    # gunicorn's defaults give its loggers their own plain handlers; ours send them through the root's.
    config["loggers"].update({"gunicorn.error": {"level": "INFO", "propagate": True},
                              "gunicorn.access": {"level": "INFO", "propagate": True}})
    return config


logconfig_dict = _gunicorn_logging()
