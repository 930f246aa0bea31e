"""`{% stream_url name version=3 %}`: a link to any stream's admin timeline, whatever characters its name has."""
from __future__ import annotations

from django import template

from orders.admin.events import timeline_url

register = template.Library()


@register.simple_tag
def stream_url(stream_name: str, version: int | None = None) -> str:
    """The admin timeline of `stream_name` (at `version` when given)."""
    return timeline_url(str(stream_name), version=version)
