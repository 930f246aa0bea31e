"""Staff admin pages for orders: a list from the read model, and an order page with its actions.

The list reads the Redis read model through selectors. The order page reads the order's own
stream (the truth), so its action buttons and the version they send always match what is
shown; every action is dispatched with that version, so a concurrent change is a conflict the
staff member sees, never a silent overwrite.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from eventlog.errors import EventStoreUnavailableError
from orders import reading, roles
from orders.admin import packing_slips
from orders.admin.forms import ACTION_FORMS, CorrectAddressForm
from orders.admin.pages import binder
from orders.domain import commands as c
from orders.domain.errors import DomainError
from orders.domain.values import OrderStatus
from orders.notifications.history import notifications_of
from orders.query_params import choice_param, int_param, text_param
from orders.sending import send
from orders.visibility import staff_view
from projections import selectors
from projections.orders import NAME as ORDERS_READ_MODEL

PAGE_SIZE = 25
MAX_SCAN = 2000  # orders read to search by customer or to sort oldest first
MAX_PAGE = MAX_SCAN // PAGE_SIZE + 1
ACTION_LABELS = {"confirm": "Confirm", "reject": "Reject", "pay": "Mark paid", "ship": "Ship", "deliver": "Deliver",
                 "cancel": "Cancel order", "add_note": "Add note", "correct_address": "Correct the address"}
CONFLICT = ("Someone else changed this order after you opened it (you saw version {seen}, it is now at version "
            "{now}). Nothing was changed. This is the order as it is now: check it and try again.")


def urls(site: AdminSite) -> list[URLPattern]:
    """The order pages, inside the admin's URL namespace."""
    bind = binder(site)
    return [
        *packing_slips.urls(site),
        path("orders/order/", bind(order_list), name="es_order_list"),
        path("orders/order/<uuid:order_id>/", bind(order_detail), name="es_order_detail"),
        path("orders/order/<uuid:order_id>/<str:action>/", bind(require_POST(order_action)),
             name="es_order_action"),
    ]


# -- the list --------------------------------------------------------------------------------------


def order_list(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """Orders from the read model: filter by status, search by id or customer, newest or oldest first."""
    roles.require(request.user, roles.VIEW_ORDERS)
    status = choice_param(request.GET, "status", tuple(s.value for s in OrderStatus))
    q = text_param(request.GET, "q")
    oldest_first = choice_param(request.GET, "o", ("created",)) == "created"
    cursor = request.GET.get("cursor") or None
    page_number = int_param(request.GET, "p", default=1, min_value=1, max_value=MAX_PAGE)
    note = None
    next_cursor = None
    total: int | None
    try:
        if q or oldest_first:  # gathered in memory (bounded), then paged by number
            found, truncated = _search(q, status) if q else _scan(status)
            found.sort(key=lambda o: o.created_at, reverse=not oldest_first)
            if truncated:
                note = (f"Only the newest {MAX_SCAN} matching orders were read for this search or sort; "
                        "narrow it down with a status filter or a more precise search.")
            total = len(found)
            items = found[(page_number - 1) * PAGE_SIZE: page_number * PAGE_SIZE]
            has_next = page_number * PAGE_SIZE < total
        else:
            page = (selectors.list_orders_by_status(status, cursor=cursor, page_size=PAGE_SIZE) if status
                    else selectors.list_orders(cursor=cursor, page_size=PAGE_SIZE))
            items, total, next_cursor, has_next = list(page.items), page.total, page.next_cursor, False
    except selectors.InvalidCursorError:
        return redirect(reverse("admin:es_order_list"))
    counts = selectors.count_orders_by_status()
    context = {
        **site.each_context(request),
        "title": "Orders",
        "rows": [(order, customer) for order, customer in zip(items, _customers(items), strict=True)],
        "total": total, "all_count": sum(counts.values()),
        "status_counts": [(s.value, s.value.lower().capitalize(), counts[s]) for s in OrderStatus],
        "status": status, "q": q, "oldest_first": oldest_first, "note": note,
        "next_cursor": next_cursor, "first_page": cursor is None and page_number == 1,
        "page_number": page_number, "has_next": has_next,
        "lag": reading.lag_of(ORDERS_READ_MODEL),
        "may_print_slips": roles.may(request.user, roles.SHIP_ORDERS),
        "ready_to_ship": {s.value for s in packing_slips.READY_TO_SHIP},
    }
    return TemplateResponse(request, "admin/es/order_list.html", context)


def _search(q: str, status: str) -> tuple[list[selectors.OrderSummary], bool]:
    """Orders whose id is `q`, or whose customer's username or email contains it."""
    try:
        order = selectors.get_order(UUID(q))
    except ValueError:
        order = None
    if order is not None:
        return ([order] if not status or order.status == status else []), False
    users = get_user_model().objects.filter(Q(username__icontains=q) | Q(email__icontains=q))
    found: list[selectors.OrderSummary] = []
    truncated = False
    for user_id in users.values_list("pk", flat=True)[:50]:
        def fetch(cursor: str | None, uid: object = user_id) -> selectors.OrderPage:
            return selectors.list_orders_by_customer(str(uid), cursor=cursor, page_size=selectors.MAX_PAGE_SIZE)

        more, cut = _walk(fetch, limit=MAX_SCAN - len(found))
        found += [o for o in more if not status or o.status == status]
        truncated = truncated or cut
        if len(found) >= MAX_SCAN:
            return found, True
    return found, truncated


def _scan(status: str) -> tuple[list[selectors.OrderSummary], bool]:
    def fetch(cursor: str | None) -> selectors.OrderPage:
        if status:
            return selectors.list_orders_by_status(status, cursor=cursor, page_size=selectors.MAX_PAGE_SIZE)
        return selectors.list_orders(cursor=cursor, page_size=selectors.MAX_PAGE_SIZE)
    return _walk(fetch, limit=MAX_SCAN)


def _walk(fetch: Callable[[str | None], selectors.OrderPage], *, limit: int) -> tuple[list[Any], bool]:
    found: list[selectors.OrderSummary] = []
    cursor = None
    while True:
        page = fetch(cursor)
        found += page.items
        if page.next_cursor is None:
            return found[:limit], len(found) > limit
        if len(found) >= limit:
            return found[:limit], True
        cursor = page.next_cursor


def _customers(orders: list[selectors.OrderSummary]) -> list[Any]:
    """The Django user behind each order's customer id (None for ids that are not users)."""
    ids = {o.customer_id for o in orders if o.customer_id.isdigit()}
    users = {str(u.pk): u for u in get_user_model().objects.filter(pk__in=ids)}
    return [users.get(o.customer_id) for o in orders]


# -- one order -------------------------------------------------------------------------------------


def order_detail(request: HttpRequest, site: AdminSite, *, order_id: UUID) -> HttpResponse:
    """Summary, timeline and the actions the rules and the viewer's permissions allow now, pinned to the version."""
    roles.require(request.user, roles.VIEW_ORDERS)
    timeline = reading.latest_timeline(order_id)
    if timeline is None or not timeline.entries:
        raise Http404("no such order")
    state = timeline.state
    version = timeline.last_version
    summary = selectors.get_order(order_id)
    allowed = reading.allowed_actions(state.get("status"))
    permitted = [action for action in ACTION_LABELS
                 if action in allowed and roles.may(request.user, roles.ORDER_ACTION_PERMISSIONS[action])]
    # The address form starts from the current address: staff change what is wrong, not retype it all.
    current = {"version": version, **(state.get("shipping_address") or {})}
    forms = [(action, ACTION_LABELS[action],
              ACTION_FORMS[action](initial=current if action == "correct_address" else {"version": version},
                                   auto_id=f"id_{action}_%s"))
             for action in permitted]
    customer_id = str(state.get("customer_id", ""))
    customer = get_user_model().objects.filter(pk=customer_id).first() if customer_id.isdigit() else None
    first_event = timeline.entries[0].event if timeline.entries[0].version == 0 else None
    context = {
        **site.each_context(request),
        "title": f"Order {order_id}",
        "order_id": order_id, "state": state, "version": version, "customer": customer,
        "status_label": str(state.get("status") or "").lower().capitalize(),
        "summary": summary, "read_model_behind": summary is None or summary.version < version,
        "forms": forms, "steps": reading.readable_steps(staff_view(timeline)),
        "stream_name": timeline.stream_name,
        "correlation_id": first_event.metadata.correlation_id if first_event else None,
        "any_action_hidden": len(permitted) < len([a for a in ACTION_LABELS if a in allowed]),
        "may_browse": roles.may(request.user, roles.BROWSE_EVENT_LOG),
        "may_print_slip": roles.may(request.user, roles.SHIP_ORDERS),
        "may_see_stock": roles.may(request.user, roles.BROWSE_EVENT_LOG, roles.MANAGE_STOCK),
        "notifications": notifications_of(order_id),
    }
    return TemplateResponse(request, "admin/es/order_detail.html", context)


def order_action(request: HttpRequest, site: AdminSite, *, order_id: UUID, action: str) -> HttpResponse:
    """Send one staff command with the version the page showed; conflicts come back as a message."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404("no such action")
    roles.require(request.user, roles.ORDER_ACTION_PERMISSIONS[action])
    back = redirect(reverse("admin:es_order_detail", kwargs={"order_id": order_id}))
    form = form_class(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(error) for error in errors)}"
                             for name, errors in form.errors.items())
        messages.error(request, f"{ACTION_LABELS[action]}: please fill in the form ({problems}).")
        return back
    data, seen = form.cleaned_data, form.cleaned_data["version"]
    try:
        command = _command(action, order_id, data, form)
    except DomainError as error:
        messages.error(request, f"{ACTION_LABELS[action]} was refused: {error}")
        return back
    except EventStoreUnavailableError:  # paying reads the order's total from the event store
        messages.error(request, "The event store cannot be reached; nothing was changed. Try again shortly.")
        return back
    sent = send(command, user=request.user, read_model=ORDERS_READ_MODEL, expected_version=seen)
    if sent.conflict is not None:
        messages.error(request, CONFLICT.format(seen=seen, now=sent.conflict.actual))
    elif sent.refused is not None:
        messages.error(request, f"{ACTION_LABELS[action]} was refused: {sent.refused}")
    elif sent.result is None:  # the event store could not be reached
        messages.error(request, "The event store cannot be reached; nothing was changed. Try again shortly.")
    else:
        messages.success(request, f"{ACTION_LABELS[action]}: done (order now at version {sent.result.new_version}).")
    return back


def _command(action: str, order_id: UUID, data: dict[str, Any], form: Any) -> c.Command:
    match action:
        case "confirm":
            return c.ConfirmOrder(order_id=order_id)
        case "reject":
            return c.RejectOrder(order_id=order_id, reason=data["reason"])
        case "pay":
            return c.PayOrder(order_id=order_id, amount=_total(order_id), payment_reference=data["payment_reference"])
        case "ship":
            return c.ShipOrder(order_id=order_id, carrier=data["carrier"], tracking_number=data["tracking_number"])
        case "deliver":
            return c.DeliverOrder(order_id=order_id)
        case "cancel":
            return c.CancelOrder(order_id=order_id, reason=data["reason"])
        case "add_note":
            return c.AddOrderNote(order_id=order_id, text=data["text"])
        case "correct_address":
            assert isinstance(form, CorrectAddressForm)
            return c.CorrectShippingAddress(order_id=order_id, shipping_address=form.shipping_address(),
                                            reason=data["reason"])
    raise Http404("no such action")


def _total(order_id: UUID) -> Decimal:
    """The order's total (fixed when it was placed), to mark it paid in full."""
    timeline = reading.latest_timeline(order_id)
    if timeline is None:
        raise Http404("no such order")
    return Decimal(str(timeline.state.get("total")))

