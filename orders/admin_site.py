"""Event-sourced pages inside the stock Django admin: their URLs and their place in its navigation.

Orders, event timelines, the event browser and the projections console are not Django models,
so they are added to the default site's URLs (before its catch-all) and to its app list, where
the index page and the sidebar pick them up like any model. Every admin page also gets the
"projections need attention" banner for staff who may operate projections.
"""
from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.urls import NoReverseMatch, URLPattern, reverse

_INSTALLED = "_eventsourcing_pages_installed"
OPERATE_PROJECTIONS = "orders.operate_projections"  # who sees the "projections need attention" banner


def install(site: AdminSite) -> None:
    """Add the event-sourced pages to `site` (idempotent)."""
    if getattr(site, _INSTALLED, False):
        return
    original_urls = site.get_urls
    original_app_list = site.get_app_list
    original_each_context = site.each_context

    def get_urls() -> list[URLPattern]:
        return [*_patterns(site), *original_urls()]

    def get_app_list(request: Any, app_label: str | None = None) -> list[dict[str, Any]]:
        return _with_pages(original_app_list(request, app_label), app_label)

    def each_context(request: Any) -> dict[str, Any]:
        return {**original_each_context(request), "projection_attention": _attention(request)}

    site.get_urls = get_urls  # type: ignore[method-assign]
    site.each_context = each_context  # type: ignore[method-assign]
    site.get_app_list = get_app_list  # type: ignore[method-assign]
    setattr(site, _INSTALLED, True)


def _attention(request: Any) -> list[Any]:
    """Halted subscribers and dead letters, for the banner of staff who may operate projections."""
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.has_perm(OPERATE_PROJECTIONS):
        return []
    from projections.console import needing_attention
    from projections.ops import is_unavailable

    try:
        return needing_attention()
    except Exception as error:
        if is_unavailable(error):  # Redis is down: the page still renders (without the banner)
            return []
        raise


def _patterns(site: AdminSite) -> list[URLPattern]:
    from orders import admin_events, admin_orders
    from projections import admin_console

    return [*admin_orders.urls(site), *admin_events.urls(site), *admin_console.urls(site)]


def _entry(name: str, url_name: str, object_name: str) -> dict[str, Any]:
    return {"name": name, "object_name": object_name, "admin_url": reverse(url_name), "add_url": None,
            "view_only": True, "perms": {"add": False, "change": False, "delete": False, "view": True}}


def _with_pages(app_list: list[dict[str, Any]], app_label: str | None) -> list[dict[str, Any]]:
    try:
        orders_entry = _entry("Orders", "admin:es_order_list", "Order")
        tools = [_entry("Event browser", "admin:es_event_browser", "EventBrowser"),
                 _entry("Projections", "admin:es_projections", "Projections")]
    except NoReverseMatch:  # a site without our URLs (another AdminSite instance)
        return app_list
    for app in app_list:
        if app["app_label"] == "orders":
            app["models"] = sorted([*app["models"], orders_entry], key=lambda m: m["name"])
    if app_label is None:
        app_list.append({"name": "Event store", "app_label": "eventlog", "app_url": reverse("admin:es_event_browser"),
                         "has_module_perms": True, "models": tools})
    return app_list
