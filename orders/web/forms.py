"""Forms of the customer pages: they parse input; rules stay in the domain."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID, uuid4

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.validators import ASCIIUsernameValidator
from django_countries import countries

from orders.domain.addresses import (
    ADDRESS_FIELDS,
    MAX_ADDRESS_LINE_LENGTH,
    MAX_CITY_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_PHONE_LENGTH,
    MAX_POSTAL_CODE_LENGTH,
    MAX_RECIPIENT_LENGTH,
    OPTIONAL_ADDRESS_FIELDS,
    ShippingAddress,
    checked_address,
    checked_email,
)
from orders.domain.commands import MAX_LINE_QUANTITY, MAX_REASON_LENGTH, RequestedLine
from orders.domain.errors import CommandValidationError
from orders.models import Product
from orders.text_input import MULTI_LINE, SINGLE_LINE


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
NEW_ADDRESS = "new"


class AddressFieldsForm(forms.Form):
    """The parts of a shipping address, checked by the domain's rules so each message lands on its field."""

    recipient_name = forms.CharField(label="Recipient name", max_length=MAX_RECIPIENT_LENGTH, required=False,
                                     validators=[SINGLE_LINE],
                                     widget=forms.TextInput(attrs={"autocomplete": "shipping name"}))
    line1 = forms.CharField(label="Address line 1", max_length=MAX_ADDRESS_LINE_LENGTH, required=False,
                            validators=[SINGLE_LINE],
                            widget=forms.TextInput(attrs={"autocomplete": "shipping address-line1"}))
    line2 = forms.CharField(label="Address line 2 (optional)", max_length=MAX_ADDRESS_LINE_LENGTH, required=False,
                            validators=[SINGLE_LINE],
                            widget=forms.TextInput(attrs={"autocomplete": "shipping address-line2"}))
    city = forms.CharField(label="City", max_length=MAX_CITY_LENGTH, required=False, validators=[SINGLE_LINE],
                           widget=forms.TextInput(attrs={"autocomplete": "shipping address-level2"}))
    postal_code = forms.CharField(label="Postal code", max_length=MAX_POSTAL_CODE_LENGTH, required=False,
                                  validators=[SINGLE_LINE],
                                  widget=forms.TextInput(attrs={"autocomplete": "shipping postal-code"}))
    country = forms.ChoiceField(label="Country", required=False,
                                widget=forms.Select(attrs={"autocomplete": "shipping country"}))
    phone = forms.CharField(label="Phone (optional)", max_length=MAX_PHONE_LENGTH, required=False,
                            validators=[SINGLE_LINE], widget=forms.TextInput(attrs={"autocomplete": "shipping tel"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address: ShippingAddress | None = None
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", "Choose a country"), *countries]

    def address_required(self) -> bool:
        """Whether the address fields must be filled in (always, unless a subclass picks a saved address)."""
        return True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None
        if self.address_required():
            self._address = self._check_address(cleaned)
        return cleaned

    def _check_address(self, cleaned: Mapping[str, Any]) -> ShippingAddress | None:
        # Every missing part is named at once, beside the parts that failed their own checks.
        for name in ADDRESS_FIELDS:
            if name not in OPTIONAL_ADDRESS_FIELDS and name not in self.errors \
                    and not (cleaned.get(name) or "").strip():
                self.add_error(name, "This field is required.")
        if self.errors:
            return None
        try:
            return checked_address(ShippingAddress(**{name: cleaned.get(name) or "" for name in ADDRESS_FIELDS}))
        except CommandValidationError as error:
            name = error.field.rpartition(".")[2]
            self.add_error(name if name in self.fields else None, error.problem)
            return None

    def shipping_address(self) -> ShippingAddress:
        """The address entered (valid form only)."""
        assert self._address is not None
        return self._address


class ShippingForm(AddressFieldsForm):
    """Checkout's address part: a saved address or a new one (optionally saved), and the contact email."""

    saved_address = forms.ChoiceField(label="Ship to", required=False)
    contact_email = forms.EmailField(label="Contact email", max_length=MAX_EMAIL_LENGTH,
                                     help_text="Where we send news about this order.",
                                     widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    save_address = forms.BooleanField(label="Save this address in my account", required=False)

    field_order = ["saved_address", "recipient_name", "line1", "line2", "postal_code", "city", "country", "phone",
                   "save_address", "contact_email"]

    def __init__(self, *args: Any, saved: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved = {str(address.pk): address for address in saved}
        choice = self.fields["saved_address"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [*((pk, str(address)) for pk, address in self.saved.items()),
                          (NEW_ADDRESS, "A new address (enter it below)")]
        choice.initial = next(iter(self.saved), NEW_ADDRESS)

    def address_required(self) -> bool:
        return self.cleaned_data.get("saved_address") in (None, "", NEW_ADDRESS)

    def clean_contact_email(self) -> str:
        try:
            return checked_email(self.cleaned_data["contact_email"])
        except CommandValidationError as error:
            raise forms.ValidationError(error.problem) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        picked = cleaned.get("saved_address")
        if picked and picked != NEW_ADDRESS:
            self._address = self.saved[picked].as_shipping_address()  # the choice field allows only the owner's
        return cleaned

    @property
    def new_address_to_save(self) -> bool:
        """Whether the customer asked to keep the new address they entered."""
        return self.address_required() and bool(self.cleaned_data.get("save_address"))

    def email(self) -> str:
        """The contact email (valid form only)."""
        return str(self.cleaned_data["contact_email"])
