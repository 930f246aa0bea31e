"""Staff roles: the permissions staff work is made of, and the groups (roles) that bundle them.

The permissions live on `orders.models.StaffPermission` (no table); the groups are created by the
data migration `orders/migrations/0003_staff_groups.py`. Superusers hold every permission. Being
staff (`is_staff`) only opens the admin: each page, action and staff API endpoint also needs its
permission.
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

VIEW_ORDERS = "orders.view_orders"
ADD_ORDER_NOTE = "orders.add_order_note"
DECIDE_ORDERS = "orders.decide_orders"
CANCEL_ORDERS = "orders.cancel_orders"
SHIP_ORDERS = "orders.ship_orders"
MANAGE_STOCK = "orders.manage_stock"
BROWSE_EVENT_LOG = "orders.browse_event_log"
OPERATE_PROJECTIONS = "orders.operate_projections"
VIEW_METRICS = "orders.view_metrics"
# Personal data on request (GDPR articles 15, 17, 20): export a customer's data, erase a customer.
MANAGE_CUSTOMER_DATA = "orders.manage_customer_data"

STAFF_PERMISSIONS = (VIEW_ORDERS, ADD_ORDER_NOTE, DECIDE_ORDERS, CANCEL_ORDERS, SHIP_ORDERS, MANAGE_STOCK,
                     BROWSE_EVENT_LOG, OPERATE_PROJECTIONS, VIEW_METRICS, MANAGE_CUSTOMER_DATA)

SUPPORT, WAREHOUSE, OPERATIONS = "Support", "Warehouse", "Operations"

# The address is what the warehouse ships to: those who ship correct it before the label is printed.
CORRECT_ADDRESS = SHIP_ORDERS

# What each admin order action needs (the API's order commands use the same permissions).
ORDER_ACTION_PERMISSIONS = {
    "confirm": DECIDE_ORDERS, "reject": DECIDE_ORDERS, "pay": DECIDE_ORDERS,
    "ship": SHIP_ORDERS, "deliver": SHIP_ORDERS,
    "cancel": CANCEL_ORDERS, "add_note": ADD_ORDER_NOTE, "correct_address": CORRECT_ADDRESS,
}


def may(user: Any, *permissions: str) -> bool:
    """Whether `user` is active staff holding at least one of `permissions` (superusers hold all)."""
    if not (user is not None and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return any(user.has_perm(permission) for permission in permissions)


def may_read_stream(user: Any, stream_name: str) -> bool:
    """Any stream with the event log; an order's with view_orders; an inventory stream with manage_stock."""
    kind = stream_name.partition("-")[0]
    extra = {"order": (VIEW_ORDERS,), "inventory": (MANAGE_STOCK,)}.get(kind, ())
    return may(user, BROWSE_EVENT_LOG, *extra)


def require(user: Any, *permissions: str) -> None:
    """Raise PermissionDenied (403) unless `user` is staff holding one of `permissions`."""
    if not may(user, *permissions):
        raise PermissionDenied(f"this needs the permission {' or '.join(permissions)}")
