"""The client's IP address: REMOTE_ADDR, unless NUM_PROXIES says how many proxies in front to trust.

One rule for everything that keys on an address (login lockout, API throttles, logs). With
NUM_PROXIES = 0 a client's X-Forwarded-For is ignored, so it cannot pick a fresh address per guess;
with N > 0 the address the N-th proxy from us saw (the N-th entry from the right of
X-Forwarded-For, as Django REST framework counts) is the client's.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def num_proxies() -> int:
    """How many reverse proxies in front of the app append to X-Forwarded-For (0: none, trust no header)."""
    return max(int(getattr(settings, "NUM_PROXIES", 0) or 0), 0)


def behind_trusted_proxy() -> bool:
    """Whether requests come through proxies we trust (NUM_PROXIES > 0)."""
    return num_proxies() > 0


def client_ip(request: HttpRequest) -> str | None:
    """The client's address under the trusted-proxy rule (REMOTE_ADDR when no proxy is trusted)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = num_proxies()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies == 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    candidate = addresses[-min(proxies, len(addresses))]
    try:  # our own proxy wrote it; anything else than an address means a misconfigured chain
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
