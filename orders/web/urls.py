"""Customer page routes (filled in by the web pages work)."""
from __future__ import annotations

urlpatterns: list = []
