"""Staff pages for personal data on request: find a customer, see their account, download their data.

Every page needs `orders.manage_customer_data` (orders/roles.py). A download is recorded in
Django's admin log (LogEntry, on the customer's user) so there is a trace of who exported whose
data and when; it is a POST, so no link, prefetch or crawler ever makes one.
"""
from __future__ import annotations

import logging

from django.contrib.admin import AdminSite
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from orders import roles
from orders.addressbook.book import addresses_of
from orders.admin.pages import binder
from orders.notifications.recipients import wants_order_emails
from orders.privacy import download
from orders.privacy.export import export_customer, file_name
from orders.query_params import int_param, text_param
from projections import selectors
from projections.ops import is_unavailable

log = logging.getLogger(__name__)

PAGE_SIZE = 50
NEWEST_ORDERS = 10  # shown on a customer's page; the export has them all
EXPORT_LOGGED = "Downloaded the customer's personal data (JSON export)."


def urls(site: AdminSite) -> list[URLPattern]:
    """The customer pages, inside the admin's URL namespace."""
    bind = binder(site, permission=roles.MANAGE_CUSTOMER_DATA)
    return [
        path("customers/", bind(customer_list), name="customers"),
        path("customers/<int:user_id>/", bind(customer_detail), name="customer"),
        path("customers/<int:user_id>/export/", bind(require_POST(customer_export)), name="customer-export"),
    ]


def customer_list(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """Accounts whose username or email contains the search, by username; staff accounts are marked."""
    q = text_param(request.GET, "q")
    users = get_user_model().objects.order_by("username", "pk")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(email__icontains=q))
    paginator = Paginator(users, PAGE_SIZE)
    page = paginator.page(min(int_param(request.GET, "p", default=1, min_value=1), paginator.num_pages))
    context = {**site.each_context(request), "title": "Customers", "q": q, "page": page,
               "total": paginator.count}
    return TemplateResponse(request, "admin/es/customer_list.html", context)


def customer_detail(request: HttpRequest, site: AdminSite, *, user_id: int) -> HttpResponse:
    """One account: who it is, its newest orders, how many addresses it keeps, and the data actions."""
    customer = get_object_or_404(get_user_model(), pk=user_id)
    orders = _newest_orders(str(customer.pk))
    context = {
        **site.each_context(request), "title": f"Customer {customer.get_username()}", "customer": customer,
        "order_count": None if orders is None else orders.total, "orders": () if orders is None else orders.items,
        "address_count": addresses_of(customer).count(),
        "order_emails": wants_order_emails(customer.pk),
        "may_view_orders": roles.may(request.user, roles.VIEW_ORDERS),
        "may_edit_user": request.user.has_perm("auth.change_user"),
        "exports": LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(customer),
                                           object_id=str(customer.pk), change_message=EXPORT_LOGGED)
                                   .select_related("user").order_by("-action_time")[:10],
    }
    return TemplateResponse(request, "admin/es/customer_detail.html", context)


def customer_export(request: HttpRequest, site: AdminSite, *, user_id: int) -> HttpResponse:
    """The customer's data export (the same document they download themselves), recorded in the admin log."""
    customer = get_object_or_404(get_user_model(), pk=user_id)
    try:
        document = export_customer(customer)
    except Exception as error:
        if not download.is_outage(error):
            raise
        context = {**site.each_context(request), "title": "Export unavailable", "message": download.UNAVAILABLE}
        response = TemplateResponse(request, "admin/es/error.html", context, status=503)
        response["Retry-After"] = str(download.RETRY_AFTER_SECONDS)
        return response
    LogEntry.objects.log_actions(str(request.user.pk), [customer], CHANGE, change_message=EXPORT_LOGGED,
                                 single_object=True)
    log.info("staff user %s downloaded the personal data of user %s", request.user.pk, customer.pk)  # ids only
    return download.attachment(document, file_name=file_name(customer))


def _newest_orders(customer_id: str) -> selectors.OrderPage | None:
    """The customer's newest orders and how many there are, from the read model (None while Redis is down)."""
    try:
        return selectors.list_orders_by_customer(customer_id, page_size=NEWEST_ORDERS)
    except Exception as error:
        if not is_unavailable(error):
            raise
        return None

