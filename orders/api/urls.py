"""REST API routes (filled in by the API work)."""
from __future__ import annotations

urlpatterns: list = []
