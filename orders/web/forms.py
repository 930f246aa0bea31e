"""Forms of the customer pages: they parse input; rules stay in the domain."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID, uuid4

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.validators import ASCIIUsernameValidator

from orders.domain.commands import MAX_LINE_QUANTITY, MAX_REASON_LENGTH, RequestedLine
from orders.models import Product
from orders.text_input import MULTI_LINE


class SignUpForm(UserCreationForm):
    """A new customer account: username, email and password twice."""

    email = forms.EmailField(required=True, max_length=254, help_text="Where we send order updates.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        # ASCII only: look-alike letters from other scripts ("аlice" with a Cyrillic а) cannot pose as someone.
        username.validators = [*username.validators, ASCIIUsernameValidator()]
        username.help_text = "Required. 150 characters or fewer: English letters, digits and @ . + - _ only."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


def quantity_field_name(sku: str) -> str:
    """The form field holding the quantity of one product."""
    return f"qty_{sku}"


class OrderForm(forms.Form):
    """One quantity per product in one form, plus the order id chosen when the form was shown."""

    order_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, products: Iterable[Product], available: Mapping[str, int], **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("order_id", uuid4())
        super().__init__(*args, **kwargs)
        self.products = list(products)
        self.available = available
        for product in self.products:
            self.fields[quantity_field_name(product.sku)] = forms.IntegerField(
                min_value=0, max_value=MAX_LINE_QUANTITY, required=False, initial=0, label=product.name,
                widget=forms.NumberInput(attrs={"class": "qty", "aria-label": f"Quantity of {product.name}"}))

    def rows(self) -> list[tuple[Product, forms.BoundField, int]]:
        """(product, its quantity field, units available) for the template."""
        return [(p, self[quantity_field_name(p.sku)], self.available.get(p.sku, 0)) for p in self.products]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        wanted = 0
        for product in self.products:
            name = quantity_field_name(product.sku)
            quantity = cleaned.get(name) or 0
            if quantity <= 0:
                continue
            wanted += 1
            available = self.available.get(product.sku, 0)
            # A friendly early check against the read model; the stock reservation has the final say.
            if quantity > available:
                self.add_error(name, f"Only {available} in stock." if available else "Out of stock.")
        if not wanted and not self.errors:
            raise forms.ValidationError("Choose at least one product (a quantity of 1 or more).")
        return cleaned

    @property
    def order_uuid(self) -> UUID:
        """The id of the order to create (a resubmitted form targets the same order)."""
        return self.cleaned_data["order_id"]

    def lines(self) -> tuple[RequestedLine, ...]:
        """The requested lines (valid form only)."""
        return tuple(RequestedLine(sku=p.sku, quantity=self.cleaned_data[quantity_field_name(p.sku)])
                     for p in self.products if (self.cleaned_data.get(quantity_field_name(p.sku)) or 0) > 0)


class OrderActionForm(forms.Form):
    """Any action on an order carries the version the page showed (optimistic concurrency)."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class CancelForm(OrderActionForm):
    """Cancel, optionally saying why."""

    reason = forms.CharField(max_length=MAX_REASON_LENGTH, required=False, validators=[MULTI_LINE],
                             widget=forms.TextInput(attrs={"placeholder": "Reason (optional)"}))

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip() or "Cancelled by the customer"


class NotificationSettingsForm(forms.Form):
    """The customer's one switch: order emails on or off."""

    order_emails = forms.BooleanField(
        required=False, label="Email me when my orders move on",
        help_text="Confirmed or rejected, payment received, shipped, delivered, cancelled.")
