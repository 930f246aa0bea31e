"""Who is acting, from the web layer's user: the domain only knows Actors."""
from __future__ import annotations

from typing import Any

from orders.domain.values import Actor


def actor_for(user: Any) -> Actor:
    """Staff act as staff; everyone else as the customer whose id is their user id."""
    return Actor.staff(str(user.pk)) if user.is_staff else Actor.customer(str(user.pk))
