"""Prometheus counter of HTTP requests by method and status, counted by the request middleware."""
from __future__ import annotations

from prometheus_client import Counter

REQUESTS = Counter("ordersys_http_requests", "HTTP requests answered, by method and status code.",
                   ["method", "status"])
