"""Who may call what: staff-only endpoints refuse customers with 403 (orders of others are 404 elsewhere)."""
from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission


class IsStaff(BasePermission):
    """Authenticated staff members only."""

    message = "only staff members may do this"

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
