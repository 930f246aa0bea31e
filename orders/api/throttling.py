"""Throttles for order creation (per user) and login (per IP and per username); rates from settings.

Client addresses follow the one trusted-proxy rule (config.client_ip: REMOTE_ADDR unless NUM_PROXIES
says otherwise), so a client's X-Forwarded-For cannot dodge the per-IP limit.
Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env THROTTLE_ORDER_CREATE, THROTTLE_LOGIN),
read on every request so a settings change applies at once; "off" (or empty) disables a throttle.
"""
from __future__ import annotations

import hashlib

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from config.client_ip import client_ip

_DISABLED = {"", "off", "none", "0"}


class _ConfiguredRateThrottle(SimpleRateThrottle):
    """A rate throttle whose rate is looked up when used, not when the class was imported."""

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        # The stubs type rates as numbers; DRF's rates are strings such as "100/minute".
        return None if rate is None or str(rate).strip().lower() in _DISABLED else str(rate)

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or "unknown"


class OrderCreateThrottle(_ConfiguredRateThrottle):
    """Order creation, per user (per IP for the anonymous, who are refused anyway)."""

    scope = "order_create"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginIPThrottle(_ConfiguredRateThrottle):
    """Token logins, per client IP."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"ip:{self.get_ident(request)}"}


class LoginUsernameThrottle(_ConfiguredRateThrottle):
    """Token logins, per username tried (password guessing from many IPs)."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return None
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": f"user:{digest}"}
