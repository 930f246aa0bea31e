"""Customer pages: catalogue, sign-up, placing, following, paying and cancelling orders.

Views parse, dispatch and map errors; reads go through selectors (orders/reading.py): customer pages never
read the event store.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orders import reading
from orders.addressbook import book
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import CancelOrder, CreateOrder, PayOrder
from orders.domain.errors import CommandValidationError, OrderNotFoundError
from orders.htmx import HtmxHttpRequest
from orders.models import Product
from orders.product_stock import with_stock
from orders.query_params import int_param
from orders.sending import send
from orders.web.account.mails import send_welcome
from orders.web.forms import (
    AddressFieldsForm,
    CancelForm,
    OrderActionForm,
    OrderForm,
    ShippingForm,
    SignUpForm,
    quantity_field_name,
)
from projections import selectors
from projections.inventory import NAME as INVENTORY_READ_MODEL
from projections.orders import NAME as ORDERS_READ_MODEL

CONFLICT_MESSAGE = ("Someone else changed this order while you were looking at it, so nothing was done. "
                    "This is the order as it is now; please check it and try again.")


def catalogue(request: HttpRequest) -> HttpResponse:
    """Products with prices and availability; signed-in customers order from here."""
    if not request.user.is_authenticated:
        return render(request, "web/catalogue.html", _catalogue_context(None, None))
    return render(request, "web/catalogue.html", _catalogue_context(_order_form(request), _shipping_form(request)))


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    """Place an order: one quantity per product and where to ship it; the order page opens straight away."""
    data = request.POST if request.method == "POST" else None
    form = _order_form(request, data=data)
    shipping = _shipping_form(request, data=data)
    # Both forms report their errors at once; nothing is sent unless both are valid.
    if request.method == "POST" and all([form.is_valid(), shipping.is_valid()]):
        command = CreateOrder(order_id=form.order_uuid, customer_id=str(request.user.pk), lines=form.lines(),
                              shipping_address=shipping.shipping_address(), contact_email=shipping.email())
        # The form's order id is the idempotency key: a double submit opens the same order.
        sent = send(command, user=request.user, read_model=reading.CUSTOMER_ORDER_READ_MODELS,
                    idempotency_key=f"web-order:{command.order_id}")
        if isinstance(sent.refused, CommandValidationError):
            _field_error(sent.refused, form, shipping)
        elif sent.refused is not None:
            sku = getattr(sent.refused, "sku", None)
            form.add_error(quantity_field_name(sku) if sku and quantity_field_name(sku) in form.fields else None,
                           str(sent.refused))
        elif sent.unavailable:
            form.add_error(None, "We cannot take orders right now; please try again in a minute.")
        else:
            messages.success(request, "Thank you! Your order was placed; we are reserving your items.")
            if shipping.new_address_to_save:
                _keep_address(request, shipping.shipping_address())
            return redirect("web:order_detail", order_id=command.order_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/catalogue.html", _catalogue_context(form, shipping), status=status)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """My orders, newest first, a page at a time."""
    try:
        page = selectors.list_orders_by_customer(str(request.user.pk), cursor=request.GET.get("cursor") or None,
                                                 page_size=10)
    except selectors.InvalidCursorError:
        return redirect("web:order_list")
    return render(request, "web/order_list.html", {
        "page": page, "first_page": not request.GET.get("cursor"),
        "lag": reading.lag_of(ORDERS_READ_MODEL),
    })


@login_required
def order_detail(request: HtmxHttpRequest, order_id: UUID) -> HttpResponse:
    """One of my orders: lines, totals, status, tracking, and what happened when (read models only)."""
    polling = request.htmx and request.GET.get("poll") == "1"
    seen = int_param(request.GET, "v") if polling else None  # the version the page shows
    order = reading.read_customer_order(order_id, wait=reading.POLL_WAIT_SECONDS if polling
                                        else reading.READ_WAIT_SECONDS)
    if order is not None and order.customer_id != str(request.user.pk):
        raise Http404("no such order")
    # An order the read models do not know yet, while they are behind, may be one just placed: say
    # "updating..." (nothing about the order itself) until they catch up; after that it is a 404.
    arriving = order is None and reading.may_still_arrive()
    if order is None and not arriving:
        raise Http404("no such order")
    summary = None if order is None else order.summary  # None while the read models disagree
    if polling:
        # The "updating..." page (and a pending order's page) polls; once the read models caught up
        # with a change the page does not show yet (or found no such order), htmx reloads the page.
        response = HttpResponse(status=204)
        if (summary is not None and summary.version != seen) or (order is None and not arriving):
            response["HX-Refresh"] = "true"
        return response
    if order is None or summary is None or order.timeline is None:
        return render(request, "web/order_updating.html", {"order_id": order_id})
    actions = reading.allowed_actions(summary.status)
    return render(request, "web/order_detail.html", {
        "order": summary,
        "steps": reading.readable_steps(order.timeline),
        "can_pay": "pay" in actions, "can_cancel": "cancel" in actions,
        "cancel_form": CancelForm(initial={"version": summary.version}),
    })


@login_required
@require_POST
def order_pay(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Pay the order's total (simulated payment)."""
    order = _my_order(request, order_id)
    form = OrderActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The form was incomplete; please try again.")
        return redirect("web:order_detail", order_id=order_id)
    total = order.summary.total if order.summary is not None else Decimal(str((order.timeline.state if order.timeline
                                                                                else {}).get("total", "0")))
    command = PayOrder(order_id=order_id, amount=total, payment_reference=f"SIM-{uuid4().hex[:12].upper()}")
    return _act(request, command, version=form.cleaned_data["version"], done="Payment received. Thank you!")


@login_required
@require_POST
def order_cancel(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Cancel the order (refunded in full if it was paid)."""
    _my_order(request, order_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("web:order_detail", order_id=order_id)
    command = CancelOrder(order_id=order_id, reason=form.cleaned_data["reason"])
    return _act(request, command, version=form.cleaned_data["version"], done="Your order was cancelled.")


def signup(request: HttpRequest) -> HttpResponse:
    """Create a customer account, sign in, and send a welcome mail."""
    if request.user.is_authenticated:
        return redirect("web:catalogue")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        send_welcome(request, user)
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect("web:catalogue")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


# -- helpers --------------------------------------------------------------------------------------


def _act(request: HttpRequest, command: Any, *, version: int, done: str) -> HttpResponse:
    """Dispatch an order action pinned to the version the page showed, then show the order."""
    sent = send(command, user=request.user, read_model=reading.CUSTOMER_ORDER_READ_MODELS,
                expected_version=version)
    if sent.conflict is not None:
        messages.error(request, CONFLICT_MESSAGE)
    elif isinstance(sent.refused, OrderNotFoundError):
        raise Http404("no such order")
    elif sent.refused is not None:
        messages.error(request, f"That did not work: {sent.refused}")
    elif sent.unavailable:
        messages.error(request, "We cannot reach the order system right now; please try again in a minute.")
    else:
        messages.success(request, done)
    return redirect(reverse("web:order_detail", kwargs={"order_id": command.order_id}))


def _my_order(request: HttpRequest, order_id: UUID) -> reading.OrderReading:
    """The order if it is the signed-in user's own (read models only); anyone else's is a 404, like a missing one."""
    order = reading.read_customer_order(order_id, wait=0)
    if order is None or order.customer_id != str(request.user.pk):
        raise Http404("no such order")
    return order


def _order_form(request: HttpRequest, data: Any = None) -> OrderForm:
    stocked = with_stock(Product.objects.filter(active=True).order_by("name"))
    return OrderForm(data, products=[item.product for item in stocked],
                     available={item.product.sku: item.available for item in stocked})


def _shipping_form(request: HttpRequest, data: Any = None) -> ShippingForm:
    return ShippingForm(data, saved=book.addresses_of(request.user),
                        initial={"contact_email": getattr(request.user, "email", "")})


def _keep_address(request: HttpRequest, address: ShippingAddress) -> None:
    """Save the order's new address in the customer's book (the order is placed whatever happens here)."""
    try:
        book.save(request.user, address)
    except book.AddressBookFullError as error:
        messages.warning(request, f"The address was not saved: {error}.")
    else:
        messages.info(request, "The address was saved in your account.")


def _catalogue_context(form: OrderForm | None, shipping: ShippingForm | None) -> dict[str, Any]:
    return {
        "form": form,
        "shipping": shipping,
        "products": [(item.product, item.available) for item in with_stock(Product.objects.filter(active=True)
                                                                            .order_by("name"))],
        "lag": reading.lag_of(INVENTORY_READ_MODEL),
    }


def _field_error(error: CommandValidationError, form: OrderForm, shipping: ShippingForm) -> None:
    """Put a refusal from the domain on the field it names (an address part on the shipping form)."""
    part = error.field.removeprefix("shipping_address.")
    if part in shipping.fields:
        shipping.add_error(part, error.problem)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.problem)


@login_required
@require_http_methods(["GET", "POST"])
def account_addresses(request: HttpRequest) -> HttpResponse:
    """My saved addresses: list them, add one."""
    form = AddressFieldsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            book.save(request.user, form.shipping_address())
        except book.AddressBookFullError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Address saved.")
            return redirect("web:account-addresses")
    return render(request, "web/account_addresses.html",
                  {"form": form, "addresses": list(book.addresses_of(request.user))},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def account_address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    """Delete one of my saved addresses (anyone else's is a 404, like a missing one)."""
    if not book.delete(request.user, address_id):
        raise Http404("no such address")
    messages.success(request, "Address deleted.")
    return redirect("web:account-addresses")
