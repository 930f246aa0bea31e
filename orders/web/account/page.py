"""The account page (/account/): a list of sections, each a small template with its own data."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.addressbook.book import addresses_of
from orders.notifications.recipients import wants_order_emails


def _no_context(request: HttpRequest) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class AccountSection:
    """One section of the account page: a template, and what it needs to know (as `section` in it)."""

    template: str
    context: Callable[[HttpRequest], Mapping[str, Any]] = _no_context


# The account page, top to bottom: a new section is one entry here and one small template.
SECTIONS: tuple[AccountSection, ...] = (
    AccountSection("web/account/section_details.html"),
    AccountSection("web/account/section_password.html"),
    AccountSection("web/account/section_addresses.html", lambda request: {
        "count": addresses_of(request.user).count()}),
    AccountSection("web/account/section_notifications.html", lambda request: {
        "order_emails": wants_order_emails(int(request.user.pk or 0))}),  # the page requires a login
    AccountSection("web/account/section_delete.html"),
)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's account: who they are, and links to everything they can change."""
    sections = [(section.template, section.context(request)) for section in SECTIONS]
    return render(request, "web/account/index.html", {"sections": sections})
