"""Who may call what: staff endpoints need staff holding the endpoint's permission (orders/roles.py).

Customers and staff lacking the permission get 403; another customer's order is 404 elsewhere.
"""
from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from orders import roles


def HasStaffPermission(*permissions: str) -> type[BasePermission]:  # noqa: N802 - used like a class
    """A permission class: staff holding at least one of `permissions` (e.g. "orders.ship_orders")."""
    unknown = set(permissions) - set(roles.STAFF_PERMISSIONS)
    if not permissions or unknown:
        raise ValueError(f"unknown staff permissions {sorted(unknown)}; see orders/roles.py")

    class _HasStaffPermission(BasePermission):
        message = f"this needs a staff member with the permission {' or '.join(permissions)}"

        def has_permission(self, request: Request, view: APIView) -> bool:
            return roles.may(request.user, *permissions)

    _HasStaffPermission.__name__ = _HasStaffPermission.__qualname__ = \
        "HasStaffPermission_" + "_or_".join(p.partition(".")[2] for p in permissions)
    return _HasStaffPermission
