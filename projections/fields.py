"""How read-model documents spell values: money as integer cents (as text: orders.domain.values.money_text),
times as UTC ISO 8601."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount (money is never a float; amounts are already in cents)."""
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_cents(cents: int) -> Decimal:
    """An amount from whole cents, with two places."""
    return (Decimal(cents) * CENT).quantize(CENT)


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC (a naive datetime from a store is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """A UTC ISO 8601 timestamp for documents."""
    return as_utc(moment).isoformat()


def parse_time(text: str | None) -> datetime | None:
    """The datetime of a stored timestamp (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a moment; sales figures are bucketed by it."""
    return as_utc(moment).date()
