"""Staff admin for the catalogue."""
from __future__ import annotations

from django.contrib import admin

from orders.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit_price", "currency", "active"]
    list_filter = ["active", "currency"]
    search_fields = ["sku", "name"]

    def get_readonly_fields(self, request, obj=None):
        # A sku names the product's inventory stream and appears in past orders: it never changes.
        return ["sku"] if obj is not None else []
