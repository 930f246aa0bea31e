"""The account mails' shared context, and the welcome mail."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from orders.mail import send_now, templated_mail

SHOP_NAME = "ordersys shop"


def mail_context(request: HttpRequest) -> dict[str, Any]:
    """What every account mail shows: the shop's name and absolute links back to it."""
    return {"shop_name": SHOP_NAME, "shop_url": request.build_absolute_uri(reverse("web:catalogue")),
            "account_url": request.build_absolute_uri(reverse("web:account")),
            "password_reset_url": request.build_absolute_uri(reverse("web:password_reset"))}


def send_welcome(request: HttpRequest, user: Any) -> bool:
    """The welcome mail of a new account (a failing mail server does not undo the sign-up)."""
    return send_now(templated_mail("mail/account/welcome", to=[user.email], context={
        **mail_context(request), "user": user,
        "orders_url": request.build_absolute_uri(reverse("web:order_list"))}), what="welcome")


def hours(seconds: int) -> int:
    """A link's lifetime in whole hours, as a mail says it (at least 1)."""
    return max(1, round(seconds / 3600))
