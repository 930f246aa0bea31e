"""Django's admin app, with the staff back office as its default site."""
from __future__ import annotations

from importlib import import_module

from django.contrib.admin.apps import AdminConfig


class OrdersAdminConfig(AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS; the app label stays "admin"."""

    default_site = "orders.admin.site.OrdersAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every installed app's admin module
        from orders.admin import MODEL_ADMIN_MODULES

        for module in MODEL_ADMIN_MODULES:
            import_module(module)
