"""The product catalogue: the one place order prices come from (never from the client)."""
from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class Product(models.Model):
    """A product customers can order, edited by staff in the admin."""

    sku = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Use upper-case letters, digits, '-' and '_'.")],
        help_text="Stock keeping unit, e.g. MUG-BLUE. Upper-case letters, digits, '-' and '_'.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="EUR",
                                validators=[RegexValidator(r"^[A-Z]{3}$", "A three-letter ISO 4217 code.")])
    active = models.BooleanField(default=True, help_text="Inactive products cannot be ordered.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} – {self.name}"
