"""A customer's saved shipping address: personal data, only ever read and changed by its owner."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django_countries.fields import CountryField

from orders.domain.addresses import (
    MAX_ADDRESS_LINE_LENGTH,
    MAX_CITY_LENGTH,
    MAX_PHONE_LENGTH,
    MAX_POSTAL_CODE_LENGTH,
    MAX_RECIPIENT_LENGTH,
    ShippingAddress,
)
from orders.text_input import SINGLE_LINE


class SavedAddress(models.Model):
    """One address in a customer's address book (the same fields as an order's `ShippingAddress`)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_addresses")
    recipient_name = models.CharField(max_length=MAX_RECIPIENT_LENGTH, validators=[SINGLE_LINE])
    line1 = models.CharField("address line 1", max_length=MAX_ADDRESS_LINE_LENGTH, validators=[SINGLE_LINE])
    line2 = models.CharField("address line 2", max_length=MAX_ADDRESS_LINE_LENGTH, blank=True,
                             validators=[SINGLE_LINE])
    city = models.CharField(max_length=MAX_CITY_LENGTH, validators=[SINGLE_LINE])
    postal_code = models.CharField(max_length=MAX_POSTAL_CODE_LENGTH, validators=[SINGLE_LINE])
    country = CountryField()
    phone = models.CharField(max_length=MAX_PHONE_LENGTH, blank=True, validators=[SINGLE_LINE])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return ", ".join(self.as_shipping_address().as_lines())

    def as_shipping_address(self) -> ShippingAddress:
        """The address as an order records it."""
        return ShippingAddress(recipient_name=self.recipient_name, line1=self.line1, line2=self.line2,
                               city=self.city, postal_code=self.postal_code, country=str(self.country),
                               phone=self.phone)
