from __future__ import annotations

from django.apps import AppConfig


class AddressBookConfig(AppConfig):
    """Saved addresses live in their own app (own migrations), beside the catalogue."""

    name = "orders.addressbook"
    label = "addressbook"
    verbose_name = "Saved addresses"
    default_auto_field = "django.db.models.BigAutoField"
