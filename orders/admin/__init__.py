"""The staff back office: the admin site (site.py), its event-sourced pages and its ModelAdmins.

Importing this package registers nothing: Django imports it while it builds the default site
(`orders.admin.site.OrdersAdminSite`), so a registration here would run before that site exists.
`OrdersAdminConfig.ready()` imports MODEL_ADMIN_MODULES once every app's admin module has
registered its own (knox's first, so tokens.py can replace it).
"""
from __future__ import annotations

MODEL_ADMIN_MODULES = ("orders.admin.products", "orders.admin.tokens")
