"""Django's request as django-htmx's middleware leaves it, for the type checker."""
from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request with `htmx` (truthy when htmx sent it); annotate views that read it with this."""

    htmx: HtmxDetails
