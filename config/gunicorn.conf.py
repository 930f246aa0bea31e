"""gunicorn's configuration (`gunicorn -c config/gunicorn.conf.py config.wsgi:application`).

Sizes come from the environment; docs/operations.md says how to choose them.
"""
from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threaded workers: a request mostly waits on Redis or the event store (I/O, the GIL released), so
# one process serves several at once. What a process shares between its threads is thread-safe: the
# gRPC channel to the event store, Redis' connection pool, the aggregate cache and the per-stream
# write locks (Django gives each thread its own database connection).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Recycle workers now and then so a slow leak never grows without bound; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Off by default: the app's own "request" line already logs every request with its correlation id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"

# The multiprocess metrics directory (emptied at start), a dead worker's gauges dropped, and gunicorn's own
# lines in the app's JSON format.
from config.gunicorn_hooks import child_exit, logconfig_dict, on_starting  # noqa: E402, F401
