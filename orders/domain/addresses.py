"""Where an order ships and whom to tell: the personal fields of an order, kept in one place.

`ShippingAddress` is a plain value (events carry it and history must load whatever today's rules
are); `checked_address` and `checked_email` are the rules commands apply to new input. A later
change encrypts these fields per customer, so nothing personal lives outside this module's values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

from orders.domain.countries import COUNTRY_CODES
from orders.domain.errors import CommandValidationError
from orders.domain.validation import require_clean_text

__all__ = [
    "ADDRESS_FIELDS",
    "MAX_ADDRESS_LINE_LENGTH",
    "MAX_CITY_LENGTH",
    "MAX_EMAIL_LENGTH",
    "MAX_PHONE_LENGTH",
    "MAX_POSTAL_CODE_LENGTH",
    "MAX_RECIPIENT_LENGTH",
    "OPTIONAL_ADDRESS_FIELDS",
    "PERSONAL_ADDRESS_PARTS",
    "ShippingAddress",
    "checked_address",
    "checked_email",
]

# Longest values accepted; forms, the saved-address model and the API schema take them from here.
MAX_RECIPIENT_LENGTH = 200
MAX_ADDRESS_LINE_LENGTH = 200
MAX_CITY_LENGTH = 100
MAX_POSTAL_CODE_LENGTH = 20
MAX_PHONE_LENGTH = 40
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit for a forward path
# A phone number as people write it: digits, spaces and + - ( ) . /; at least 4 digits.
_PHONE = re.compile(r"\+?[0-9 ()./-]{4,}")
# Deliberately loose (mail servers have the final say), but one @, a dot in the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_POSTAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    """A postal address to ship to; `line2` and `phone` are "" when not given."""

    recipient_name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2, upper case
    line2: str = ""
    phone: str = ""

    def as_lines(self) -> tuple[str, ...]:
        """The address as printed on a label, one line each (empty lines left out)."""
        return tuple(line for line in (self.recipient_name, self.line1, self.line2,
                                       f"{self.postal_code} {self.city}", self.country) if line)


ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ShippingAddress))
OPTIONAL_ADDRESS_FIELDS = frozenset({"line2", "phone"})
# Every part but the country identifies a person: those are stored encrypted per customer.
PERSONAL_ADDRESS_PARTS: tuple[str, ...] = tuple(name for name in ADDRESS_FIELDS if name != "country")
_MAX_LENGTHS = {"recipient_name": MAX_RECIPIENT_LENGTH, "line1": MAX_ADDRESS_LINE_LENGTH,
                "line2": MAX_ADDRESS_LINE_LENGTH, "city": MAX_CITY_LENGTH,
                "postal_code": MAX_POSTAL_CODE_LENGTH, "country": 2, "phone": MAX_PHONE_LENGTH}


def checked_address(value: Any, *, field: str = "shipping_address") -> ShippingAddress:
    """`value` with every part checked and trimmed; a failure names the part (`shipping_address.city`)."""
    if not isinstance(value, ShippingAddress):
        raise CommandValidationError(field, f"must be a ShippingAddress, got {type(value).__name__}")
    cleaned: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        part = getattr(value, name)
        where = f"{field}.{name}"
        if name in OPTIONAL_ADDRESS_FIELDS and isinstance(part, str) and not part.strip():
            cleaned[name] = ""
            continue
        cleaned[name] = require_clean_text(where, part, max_length=_MAX_LENGTHS[name])
    country = cleaned["country"].upper()
    if country not in COUNTRY_CODES:
        raise CommandValidationError(f"{field}.country",
                                     f"{cleaned['country']!r} is not an ISO 3166-1 country code (such as DE or US)")
    if not _POSTAL_CODE.fullmatch(cleaned["postal_code"]):
        raise CommandValidationError(f"{field}.postal_code", "may hold only letters, digits, spaces and '-'")
    if cleaned["phone"] and (not _PHONE.fullmatch(cleaned["phone"]) or sum(c.isdigit() for c in cleaned["phone"]) < 4):
        raise CommandValidationError(f"{field}.phone",
                                     "must be a phone number: digits, spaces and + - ( ) . / (at least 4 digits)")
    return replace(value, **{**cleaned, "country": country})


def checked_email(value: Any, *, field: str = "contact_email") -> str:
    """`value` trimmed, if it looks like an email address (one @, a domain with a dot, no spaces)."""
    email = require_clean_text(field, value, max_length=MAX_EMAIL_LENGTH)
    if not _EMAIL.fullmatch(email):
        raise CommandValidationError(field, f"{email!r} is not an email address")
    return email
