"""Staff admin: the catalogue with stock from the read model."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from orders import roles
from orders.admin.events import timeline_url
from orders.admin.forms import AdjustStockForm, ReceiveStockForm
from orders.domain.commands import AdjustStock, ReceiveStock
from orders.models import Product
from orders.product_stock import levels_by_sku
from orders.sending import send
from projections import selectors
from projections.inventory import NAME as INVENTORY_READ_MODEL


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit_price", "currency", "active"]
    list_filter = ["active", "currency"]
    search_fields = ["sku", "name"]
    actions = ["receive_stock"]
    readonly_fields = ["stock"]

    def get_readonly_fields(self, request, obj=None):
        # A sku names the product's inventory stream and appears in past orders: it never changes.
        if obj is None:
            return []
        return ["sku", "stock" if roles.may(request.user, roles.MANAGE_STOCK) else "stock_level"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Stock is kept per product: whoever manages stock sees the catalogue (read-only without change_product).
        return super().has_view_permission(request, obj) or roles.may(request.user, roles.MANAGE_STOCK)

    def has_manage_stock_permission(self, request: HttpRequest) -> bool:
        """Whether the receive-stock action is offered (Django asks has_<name>_permission)."""
        return roles.may(request.user, roles.MANAGE_STOCK)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        levels = levels_by_sku()  # one read per page

        def on_hand(product: Product) -> int:
            level = levels.get(product.sku)
            return level.on_hand if level else 0

        def reserved(product: Product) -> int:
            level = levels.get(product.sku)
            return level.reserved if level else 0

        linked = roles.may(request.user, roles.MANAGE_STOCK)

        @admin.display(description="available")
        def available(product: Product) -> str:
            level = levels.get(product.sku)
            if level is None:
                return mark_safe('<span class="quiet">no stock</span>')
            low = " ⚠ low" if level.is_low else ""
            if not linked:
                return f"{level.available}{low}"
            return format_html('<a href="{}">{}{}</a>', reverse("admin:orders_product_stock", args=[product.pk]),
                               level.available, low)

        return [*self.list_display, on_hand, reserved, available]

    @admin.display(description="stock (read model)")
    def stock_level(self, product: Product) -> str:
        """The stock line without the links (for viewers who may not manage stock)."""
        level = selectors.get_stock_level(product.sku)
        if level is None:
            return "No stock history yet."
        return f"{level.on_hand} on hand, {level.reserved} reserved, {level.available} available."

    @admin.display(description="stock (read model)")
    def stock(self, product: Product) -> str:
        level = selectors.get_stock_level(product.sku)
        url = reverse("admin:orders_product_stock", args=[product.pk])
        if level is None:
            return format_html('No stock history yet. <a href="{}">Receive stock</a>', url)
        return format_html('{} on hand, {} reserved, {} available. <a href="{}">Receive or adjust stock</a> · '
                           '<a href="{}">Event timeline</a>', level.on_hand, level.reserved, level.available, url,
                           timeline_url(f"inventory-{product.sku}"))

    def get_urls(self) -> list[URLPattern]:
        return [path("<int:object_id>/stock/", self.admin_site.admin_view(self.stock_view),
                     name="orders_product_stock"), *super().get_urls()]

    def stock_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Receive stock for, or adjust the stock of, one product."""
        roles.require(request.user, roles.MANAGE_STOCK)
        product = get_object_or_404(Product, pk=object_id)
        receive_form = ReceiveStockForm(prefix="receive")
        adjust_form = AdjustStockForm(prefix="adjust")
        if request.method == "POST":
            if "_receive" in request.POST:
                receive_form = ReceiveStockForm(request.POST, prefix="receive")
                if receive_form.is_valid() and self._send(
                        request, ReceiveStock(sku=product.sku, quantity=receive_form.cleaned_data["quantity"]),
                        f"Received {receive_form.cleaned_data['quantity']} × {product.sku}."):
                    return redirect(request.path)
            elif "_adjust" in request.POST:
                adjust_form = AdjustStockForm(request.POST, prefix="adjust")
                if adjust_form.is_valid() and self._send(
                        request, AdjustStock(sku=product.sku, delta=adjust_form.cleaned_data["delta"],
                                             reason=adjust_form.cleaned_data["reason"]),
                        f"Adjusted {product.sku} by {adjust_form.cleaned_data['delta']:+d}."):
                    return redirect(request.path)
        context = {**self.admin_site.each_context(request), "title": f"Stock of {product.sku}", "product": product,
                   "opts": self.model._meta, "level": selectors.get_stock_level(product.sku),
                   "receive_form": receive_form, "adjust_form": adjust_form}
        return TemplateResponse(request, "admin/es/product_stock.html", context)

    @admin.action(description="Receive stock for the selected products", permissions=["manage_stock"])
    def receive_stock(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        roles.require(request.user, roles.MANAGE_STOCK)  # also refused by Django when not offered
        form = ReceiveStockForm(request.POST if "_apply" in request.POST else None)
        if "_apply" in request.POST and form.is_valid():
            quantity = form.cleaned_data["quantity"]
            done = [p.sku for p in queryset if self._send(request, ReceiveStock(sku=p.sku, quantity=quantity), None)]
            if done:
                messages.success(request, f"Received {quantity} units of each of {', '.join(done)}.")
            return None
        context = {**self.admin_site.each_context(request), "title": "Receive stock", "products": queryset,
                   "form": form, "opts": self.model._meta,
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/es/receive_stock.html", context)

    def _send(self, request: HttpRequest, command: Any, done: str | None) -> bool:
        sent = send(command, user=request.user, read_model=INVENTORY_READ_MODEL)
        if sent.refused is not None:
            messages.error(request, f"{command.sku}: {sent.refused}")
            return False
        if sent.unavailable:
            messages.error(request, "The event store cannot be reached; nothing was changed.")
            return False
        if done:
            messages.success(request, done)
        return True

