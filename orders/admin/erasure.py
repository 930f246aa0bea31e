"""Erasing a customer on request (GDPR article 17): a confirmation page naming them, then erasure by POST.

Gated by `manage_customer_data`. Staff and superuser accounts are refused (they hold rights, not
orders: an administrator closes them in the user admin), and so is an account erased before.
The erasure records the staff member who asked (`CustomerErased.erased_by`).
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from eventlog.errors import EventStoreUnavailableError
from orders import roles
from orders.actors import actor_for
from orders.admin.pages import binder
from orders.domain.errors import CustomerAlreadyErasedError
from orders.privacy.erasure import erase_customer, is_erased_account
from projections import selectors
from projections.ops import is_unavailable


def urls(site: AdminSite) -> list[URLPattern]:
    """The erase page of one customer."""
    bind = binder(site, permission=roles.MANAGE_CUSTOMER_DATA)
    return [path("customers/<int:user_id>/erase/", bind(customer_erase), name="customer-erase")]


def customer_erase(request: HttpRequest, site: AdminSite, *, user_id: str) -> HttpResponse:
    """GET: who would be erased and what stays; POST: erase them (refused for staff and erased accounts)."""
    customer = get_user_model().objects.filter(pk=int(user_id)).first()
    if customer is None:
        raise Http404("no such user")
    refusal = _refusal(customer)
    if request.method == "POST" and refusal is None:
        try:
            erase_customer(str(customer.pk), actor=actor_for(request.user))
        except CustomerAlreadyErasedError:
            refusal = "This customer was erased before; the erasure was applied again, nothing else to do."
        except EventStoreUnavailableError:
            messages.error(request, "The event store cannot be reached; nothing was erased. Try again shortly.")
        else:
            messages.success(request, f"Customer {customer.pk} was erased: their personal data reads \"[erased]\" "
                                      "everywhere, their orders and amounts stay.")
            return redirect("admin:customer-erase", user_id=customer.pk)
    context: dict[str, Any] = {
        **site.each_context(request), "title": f"Erase customer {customer.pk}", "customer": customer,
        "order_count": _order_count(str(customer.pk)), "refusal": refusal, "erased": is_erased_account(customer)}
    status = 409 if request.method == "POST" and refusal is not None else 200
    return TemplateResponse(request, "admin/es/customer_erase.html", context, status=status)


def _refusal(customer: Any) -> str | None:
    if customer.is_staff or customer.is_superuser:
        return ("This is a staff account: staff accounts are not erased here. An administrator removes their "
                "rights and closes them in the user admin.")
    if is_erased_account(customer):
        return "This customer was erased before: there is nothing left to erase."
    return None


def _order_count(customer_id: str) -> int | None:
    try:
        return selectors.list_orders_by_customer(customer_id, page_size=1).total
    except Exception as error:
        if is_unavailable(error):  # Redis is down: the page still says who would be erased
            return None
        raise
