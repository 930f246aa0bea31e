"""The staff back office is Django's default admin site itself, not a patched stock site."""
from __future__ import annotations

from django.contrib import admin
from knox.models import AuthToken

from orders.admin.site import OrdersAdminSite
from orders.admin.tokens import AuthTokenAdmin
from orders.models import Product


def test_the_default_admin_site_is_the_back_office_with_its_model_admins():
    assert isinstance(admin.site, OrdersAdminSite)
    assert "get_urls" not in vars(admin.site)  # the pages come from the class, not from patching the instance
    assert admin.site.is_registered(Product)
    assert type(admin.site._registry[AuthToken]) is AuthTokenAdmin  # knox's own admin was replaced
