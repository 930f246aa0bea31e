"""Who is acting, from the web layer's user: the domain only knows Actors."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from orders.domain.values import Actor


def actor_for(user: Any) -> Actor:
    """Staff act as staff; everyone else as the customer whose id is their user id."""
    return Actor.staff(str(user.pk)) if user.is_staff else Actor.customer(str(user.pk))


def is_customer_id(customer_id: str) -> bool:
    """Whether `customer_id` is the id of a user (an order for anyone else could never be seen or paid)."""
    if not (customer_id.isascii() and customer_id.isdigit()) or len(customer_id) > 18:
        return False
    return get_user_model().objects.filter(pk=int(customer_id)).exists()


def email_of(customer_id: str) -> str:
    """The email of the customer's account ("" when there is no such user or it has none)."""
    if not (customer_id.isascii() and customer_id.isdigit()) or len(customer_id) > 18:
        return ""
    email = get_user_model().objects.filter(pk=int(customer_id)).values_list("email", flat=True).first()
    return email or ""
