"""Forms of the staff admin's order and stock actions: they parse input; the domain decides."""
from __future__ import annotations

from typing import Any

from django import forms
from django_countries import countries

from orders.domain.addresses import (
    MAX_ADDRESS_LINE_LENGTH,
    MAX_CITY_LENGTH,
    MAX_PHONE_LENGTH,
    MAX_POSTAL_CODE_LENGTH,
    MAX_RECIPIENT_LENGTH,
    ShippingAddress,
)
from orders.domain.commands import (
    MAX_CARRIER_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_PAYMENT_REFERENCE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_STOCK_QUANTITY,
    MAX_TRACKING_NUMBER_LENGTH,
    changes_stock,
)
from orders.query_params import MAX_INT
from orders.text_input import MULTI_LINE, SINGLE_LINE


class VersionedForm(forms.Form):
    """Every order action carries the version its page was rendered from."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ReasonForm(VersionedForm):
    """Reject or cancel, saying why."""

    reason = forms.CharField(max_length=MAX_REASON_LENGTH, validators=[MULTI_LINE],
                             widget=forms.TextInput(attrs={"placeholder": "Reason", "size": 30}))


class PayForm(VersionedForm):
    """Mark paid (the amount is always the order total)."""

    payment_reference = forms.CharField(max_length=MAX_PAYMENT_REFERENCE_LENGTH, validators=[SINGLE_LINE],
                                        widget=forms.TextInput(attrs={"placeholder": "Payment reference", "size": 20}))


class ShipForm(VersionedForm):
    """Hand to a carrier."""

    carrier = forms.CharField(max_length=MAX_CARRIER_LENGTH, validators=[SINGLE_LINE],
                              widget=forms.TextInput(attrs={"placeholder": "Carrier", "size": 12}))
    tracking_number = forms.CharField(max_length=MAX_TRACKING_NUMBER_LENGTH, validators=[SINGLE_LINE],
                                      widget=forms.TextInput(attrs={"placeholder": "Tracking number", "size": 18}))


class NoteForm(VersionedForm):
    """An internal note (customers never see notes)."""

    text = forms.CharField(max_length=MAX_NOTE_LENGTH, validators=[MULTI_LINE],
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 50, "placeholder": "Internal note"}))


class CorrectAddressForm(VersionedForm):
    """A corrected shipping address and why (the domain checks each part; the reason stays internal)."""

    recipient_name = forms.CharField(label="Recipient name", max_length=MAX_RECIPIENT_LENGTH, validators=[SINGLE_LINE])
    line1 = forms.CharField(label="Address line 1", max_length=MAX_ADDRESS_LINE_LENGTH, validators=[SINGLE_LINE])
    line2 = forms.CharField(label="Address line 2", max_length=MAX_ADDRESS_LINE_LENGTH, required=False,
                            validators=[SINGLE_LINE])
    postal_code = forms.CharField(label="Postal code", max_length=MAX_POSTAL_CODE_LENGTH, validators=[SINGLE_LINE])
    city = forms.CharField(label="City", max_length=MAX_CITY_LENGTH, validators=[SINGLE_LINE])
    country = forms.ChoiceField(label="Country", choices=[("", "Choose a country"), *countries])
    phone = forms.CharField(label="Phone", max_length=MAX_PHONE_LENGTH, required=False, validators=[SINGLE_LINE])
    reason = forms.CharField(label="Why (internal)", max_length=MAX_REASON_LENGTH, validators=[MULTI_LINE])

    labelled = True  # the page renders this form's labels (several fields of the same kind)

    def shipping_address(self) -> ShippingAddress:
        """The corrected address as entered (valid form only; the command checks it)."""
        data = self.cleaned_data
        return ShippingAddress(recipient_name=data["recipient_name"], line1=data["line1"], line2=data["line2"],
                               city=data["city"], postal_code=data["postal_code"], country=data["country"],
                               phone=data["phone"])


ACTION_FORMS: dict[str, type[VersionedForm]] = {
    "confirm": VersionedForm,
    "reject": ReasonForm,
    "pay": PayForm,
    "ship": ShipForm,
    "deliver": VersionedForm,
    "cancel": ReasonForm,
    "add_note": NoteForm,
    "correct_address": CorrectAddressForm,
}


class ReceiveStockForm(forms.Form):
    """Units delivered to the warehouse."""

    quantity = forms.IntegerField(min_value=1, max_value=MAX_STOCK_QUANTITY)


class AdjustStockForm(forms.Form):
    """A correction of stock on hand (negative for breakage, shrinkage...)."""

    delta = forms.IntegerField(min_value=-MAX_STOCK_QUANTITY, max_value=MAX_STOCK_QUANTITY,
                               help_text="Units to add (positive) or remove (negative).")
    reason = forms.CharField(max_length=MAX_REASON_LENGTH, validators=[MULTI_LINE])

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if not changes_stock(delta):
            raise forms.ValidationError("An adjustment must change the stock (not 0).")
        return delta


class AsciiIntegerField(forms.IntegerField):
    """An integer written in ASCII digits (int() would take "١٢" or full-width digits too)."""

    def to_python(self, value: object) -> int | None:
        if isinstance(value, str) and value.strip() and not value.strip().lstrip("+-").isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class EventFilterForm(forms.Form):
    """Filters of the event browser (times are UTC)."""

    stream_prefix = forms.CharField(required=False, max_length=200, label="Stream prefix",
                                    widget=forms.TextInput(attrs={"placeholder": "order- / inventory-MUG"}))
    event_type = forms.CharField(required=False, max_length=200, label="Event type",
                                 widget=forms.TextInput(attrs={"placeholder": "OrderCreated"}))
    correlation_id = forms.UUIDField(required=False, label="Correlation id")
    since = forms.DateTimeField(required=False, label="From (UTC)",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(required=False, label="Until (UTC)",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    before = AsciiIntegerField(required=False, min_value=1, max_value=MAX_INT, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            raise forms.ValidationError("'Until' must be after 'From'.")
        return cleaned
