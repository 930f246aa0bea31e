"""Shape checks shared by commands and input values; each failure names the field."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from orders.domain.errors import CommandValidationError

T = TypeVar("T")

# Skus end up in stream names (`inventory-<sku>`) and URLs, so keep them to a safe alphabet.
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
MONEY_PLACES = Decimal("0.01")
# Control (Cc), format (Cf: bidi overrides and isolates, zero-width characters, BOM), surrogate (Cs)
# and line/paragraph separator (Zl, Zp) characters: invisible or reordering, they let text shown to
# staff or customers say something other than what it seems to (or break a line where none shows).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset({"\n", "\t"})


def require_uuid(field: str, value: Any) -> UUID:
    """Return `value` if it is a UUID."""
    if not isinstance(value, UUID):
        raise CommandValidationError(field, f"must be a UUID, got {type(value).__name__}")
    return value


def require_int(field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return `value` if it is an int (bool is not) within the given bounds."""
    # bool is an int subclass; True as a quantity is always a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise CommandValidationError(field, f"must be a whole number, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise CommandValidationError(field, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise CommandValidationError(field, f"must be at most {maximum}, got {value}")
    return value


def require_text(field: str, value: Any, *, max_length: int = 1000) -> str:
    """Return `value` if it is a string with visible characters, at most `max_length` long."""
    if not isinstance(value, str):
        raise CommandValidationError(field, f"must be text, got {type(value).__name__}")
    if not value.strip():
        raise CommandValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise CommandValidationError(field, f"must be at most {max_length} characters long")
    return value


def require_clean_text(field: str, value: Any, *, max_length: int = 1000, multiline: bool = False) -> str:
    """Return `value` stripped, if it has no control or format characters and is not blank.

    Multi-line fields (notes, reasons) may hold newlines (CRLF and CR become LF) and tabs; single-line
    fields (carrier, tracking number, references) may not.
    """
    if not isinstance(value, str):
        raise CommandValidationError(field, f"must be text, got {type(value).__name__}")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    allowed = _MULTILINE_ALLOWED if multiline else frozenset()
    for index, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) in _REFUSED_CATEGORIES:
            kind = "control or invisible formatting characters" + ("" if multiline else " (nor line breaks)")
            raise CommandValidationError(field, f"must not contain {kind}; found U+{ord(char):04X} "
                                                f"at position {index + 1}")
    cleaned: str = value.strip()
    if not cleaned:
        raise CommandValidationError(field, "must not be empty")
    if len(cleaned) > max_length:
        raise CommandValidationError(field, f"must be at most {max_length} characters long")
    return cleaned


def require_sku(field: str, value: Any) -> str:
    """Return `value` if it is a well-formed sku."""
    if not isinstance(value, str):
        raise CommandValidationError(field, f"must be a sku (text), got {type(value).__name__}")
    if not SKU_PATTERN.fullmatch(value):
        raise CommandValidationError(
            field, f"{value!r} is not a valid sku (1-64 letters, digits, '.', '_' or '-')"
        )
    return value


def require_currency(field: str, value: Any) -> str:
    """Return `value` if it is a 3-letter upper-case currency code."""
    if not isinstance(value, str) or not CURRENCY_PATTERN.fullmatch(value):
        raise CommandValidationError(field, f"must be a 3-letter currency code such as EUR, got {value!r}")
    return value


def require_money(field: str, value: Any, *, allow_zero: bool = True) -> Decimal:
    """Return `value` as a Decimal with 2 places; floats and sub-cent amounts are refused."""
    # Floats cannot represent cents exactly, so they are refused rather than rounded.
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise CommandValidationError(field, f"must be a Decimal amount, got {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise CommandValidationError(field, "must be a finite amount")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise CommandValidationError(field, f"must be {'zero or ' if allow_zero else ''}positive, got {amount}")
    quantized = amount.quantize(MONEY_PLACES)
    if quantized != amount:
        raise CommandValidationError(field, f"must not have fractions of a cent, got {amount}")
    return quantized


def require_tuple_of(field: str, value: Any, item_type: type[T]) -> tuple[T, ...]:
    """Return `value` as a tuple if every item is an `item_type` (a list is accepted and frozen)."""
    if not isinstance(value, tuple | list):
        raise CommandValidationError(field, f"must be a sequence, got {type(value).__name__}")
    items: Iterable[Any] = value
    for index, item in enumerate(items):
        if not isinstance(item, item_type):
            raise CommandValidationError(
                f"{field}[{index}]", f"must be a {item_type.__name__}, got {type(item).__name__}"
            )
    return tuple(value)


def money(value: Decimal | int | str) -> Decimal:
    """Quantize an amount to cents (used when computing, never on input: input is validated)."""
    return Decimal(value).quantize(MONEY_PLACES)


def money_text(amount: Decimal, *, grouped: bool = False) -> str:
    """An amount as text with two places: "1234.50" for documents and the API, "1,234.50" grouped for people."""
    return f"{amount:,.2f}" if grouped else f"{amount:.2f}"
