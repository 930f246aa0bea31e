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


class StaffPermission(models.Model):
    """No table: the anchor of the staff permissions (orders.<codename>) that roles are made of."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_orders", "View orders and their timelines"),
            ("add_order_note", "Add notes to orders"),
            ("decide_orders", "Confirm, reject and mark paid any order"),
            ("cancel_orders", "Cancel any order"),
            ("ship_orders", "Ship and deliver orders"),
            ("manage_stock", "Receive and adjust stock"),
            ("browse_event_log", "Browse the event log and any stream's timeline"),
            ("operate_projections", "Operate projections and dead letters"),
            ("view_metrics", "Read /metrics"),
            ("manage_customer_data", "Export and erase a customer's personal data"),
        ]

    def __str__(self) -> str:
        return "staff permission"
