"""The staff back office: Django's admin site plus the event-sourced pages, as the default site.

Orders, event timelines, the event browser and the projections console are not Django models,
so this site adds them to its URLs (before the catch-all) and to its app list, where the index
page and the sidebar pick them up like any model; each only for viewers holding its permission
(orders/roles.py), as Django does for models. The index is the staff dashboard (dashboard.py).
Every admin page also gets the "projections need attention" banner for staff who may operate
projections.
"""
from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse

from orders import roles
from orders.admin import console, dashboard, erasure, events, orders
from projections.console import Attention, needing_attention
from projections.ops import is_unavailable


class OrdersAdminSite(AdminSite):
    """The default admin site (made so by `orders.admin.apps.OrdersAdminConfig`)."""

    site_header = "ordersys back office"
    site_title = "ordersys"
    index_title = "Dashboard"
    index_template = "admin/es/dashboard.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The staff dashboard (panels by permission), with the app list below it."""
        return super().index(request, {**dashboard.context(request.user), **(extra_context or {})})

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [*orders.urls(self), *events.urls(self), *console.urls(self), *erasure.urls(self),
                *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        return _with_pages(super().get_app_list(request, app_label), app_label, user=request.user)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().each_context(request), "projection_attention": _attention(request)}


def _attention(request: HttpRequest) -> list[Attention]:
    """Halted subscribers and dead letters, for the banner of staff who may operate projections."""
    if not roles.may(getattr(request, "user", None), roles.OPERATE_PROJECTIONS):
        return []
    try:
        return needing_attention()
    except Exception as error:
        if is_unavailable(error):  # Redis is down: the page still renders (without the banner)
            return []
        raise


def _entry(name: str, url_name: str, object_name: str) -> dict[str, Any]:
    return {"name": name, "object_name": object_name, "admin_url": reverse(url_name), "add_url": None,
            "view_only": True, "perms": {"add": False, "change": False, "delete": False, "view": True}}


def _with_pages(app_list: list[dict[str, Any]], app_label: str | None, *, user: Any) -> list[dict[str, Any]]:
    try:
        orders_entry = _entry("Orders", "admin:es_order_list", "Order")
        tools = [(roles.BROWSE_EVENT_LOG, _entry("Event browser", "admin:es_event_browser", "EventBrowser")),
                 (roles.OPERATE_PROJECTIONS, _entry("Projections", "admin:es_projections", "Projections"))]
        orders_app_url = reverse("admin:app_list", args=["orders"])
    except NoReverseMatch:  # a site without our URLs (another AdminSite instance)
        return app_list
    if roles.may(user, roles.VIEW_ORDERS) and app_label in (None, "orders"):
        app = next((app for app in app_list if app["app_label"] == "orders"), None)
        if app is None:  # no catalogue permission: the orders app is not listed by Django
            app = {"name": "Orders", "app_label": "orders", "app_url": orders_app_url, "has_module_perms": True,
                   "models": []}
            app_list.append(app)
            app_list.sort(key=lambda a: a["name"].lower())
        app["models"] = sorted([*app["models"], orders_entry], key=lambda m: m["name"])
    permitted_tools = [entry for permission, entry in tools if roles.may(user, permission)]
    if app_label is None and permitted_tools:
        app_list.append({"name": "Event store", "app_label": "eventlog", "app_url": permitted_tools[0]["admin_url"],
                         "has_module_perms": True, "models": permitted_tools})
    return app_list
