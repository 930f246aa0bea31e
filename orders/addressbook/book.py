"""The one way pages and the API read and change saved addresses: always through the owner."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from orders.addressbook.models import SavedAddress
from orders.domain.addresses import ADDRESS_FIELDS, ShippingAddress, checked_address

MAX_SAVED_ADDRESSES = 20  # an address book, not a mailing list


class AddressBookFullError(Exception):
    """The customer already keeps the most addresses allowed."""

    def __init__(self) -> None:
        super().__init__(f"you can keep at most {MAX_SAVED_ADDRESSES} addresses; delete one first")


def addresses_of(user: Any) -> QuerySet[SavedAddress]:
    """The user's saved addresses, newest first (none for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return SavedAddress.objects.none()
    return SavedAddress.objects.filter(owner=user)


def find(user: Any, address_id: Any) -> SavedAddress | None:
    """One of the user's own saved addresses, None if it does not exist or is someone else's."""
    try:
        return addresses_of(user).filter(pk=int(address_id)).first()
    except (TypeError, ValueError, OverflowError):
        return None


def save(user: Any, address: ShippingAddress) -> SavedAddress:
    """Keep `address` (checked by the domain's rules) in the user's book; an identical one is reused."""
    address = checked_address(address)
    values = {name: getattr(address, name) for name in ADDRESS_FIELDS}
    existing = addresses_of(user).filter(**values).first()
    if existing is not None:
        return existing
    if addresses_of(user).count() >= MAX_SAVED_ADDRESSES:
        raise AddressBookFullError()
    return SavedAddress.objects.create(owner=user, **values)


def delete(user: Any, address_id: Any) -> bool:
    """Delete one of the user's own addresses; False if there was no such address of theirs."""
    saved = find(user, address_id)
    if saved is None:
        return False
    saved.delete()
    return True
