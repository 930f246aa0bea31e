"""What a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): a page, or problem+json on the API.

Axes refuses the login before the password is checked, so the right password does not help until
the cool-off has passed or staff reset the lockout (admin "Access attempts", `manage.py axes_reset`).
"""
from __future__ import annotations

import json
import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.api.problems import PROBLEM_CONTENT_TYPE, ProblemError

STATUS = 429


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """429 with the cool-off in minutes and Retry-After, as a page or, under /api/, a problem."""
    cool_off = get_cool_off(request)
    seconds = max(int(cool_off.total_seconds()), 1) if cool_off else None
    minutes = math.ceil(seconds / 60) if seconds else None
    if request.path.startswith("/api/"):
        response = _problem(request, minutes=minutes)
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=STATUS)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def _problem(request: HttpRequest, *, minutes: int | None) -> HttpResponse:
    wait = f"for {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "until staff unlock it"
    detail = (f"Too many failed logins: this account or address is locked {wait}. "
              "The right password is refused too until then; staff can unlock it sooner.")
    body = ProblemError(STATUS, "locked-out", "Locked out", detail).body(instance=request.get_full_path())
    return HttpResponse(json.dumps(body), status=STATUS, content_type=PROBLEM_CONTENT_TYPE)
