"""Orders: place, list, read, the commands on one order, and its timeline.

Reads come from the read model (selectors), commands go through `dispatch`; a customer only ever
sees and acts on their own orders (another customer's order is 404, never 403). Staff act on other
customers' orders only with the permission for that (orders/roles.py); without it they are 403.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from eventlog.errors import ConcurrencyError
from orders import roles
from orders.actors import actor_for, email_of, is_customer_id
from orders.api import http
from orders.api.idempotency import derived_id, idempotent, key_of
from orders.api.permissions import HasStaffPermission
from orders.api.problems import field_problem, not_found
from orders.api.schema import (
    COMMAND_HEADERS,
    CREATE_HEADERS,
    CREATE_ORDER_EXAMPLE,
    ETAG,
    ORDER_ID,
    READ_HEADERS,
    RETRY_AFTER,
    problems,
)
from orders.api.serializers import (
    AddNoteSerializer,
    CancelOrderSerializer,
    CommandResultSerializer,
    CorrectShippingAddressSerializer,
    CreateOrderSerializer,
    DeliverOrderSerializer,
    OrderDetailSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    OrderSerializer,
    PayOrderSerializer,
    ShipOrderSerializer,
    TimelineQuerySerializer,
    TimelineSerializer,
)
from orders.api.throttling import OrderCreateThrottle
from orders.api.views.base import ApiMixin, query, validated
from orders.api.views.timelines import TIMELINE_DESCRIPTION, timeline_body
from orders.domain.commands import (
    AddOrderNote,
    CancelOrder,
    Command,
    CorrectShippingAddress,
    CreateOrder,
    DeliverOrder,
    PayOrder,
    RequestedLine,
    ShipOrder,
)
from orders.domain.order import Order
from orders.domain.values import OrderStatus
from orders.handlers import ContentionError, dispatch
from orders.timelines import order_timeline
from orders.visibility import order_fields_for, sees_staff_view
from projections import customer_timeline, selectors
from projections import orders as orders_read_model

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission  # in the stubs only

STAFF_ACTIONS = {"ship": roles.SHIP_ORDERS, "deliver": roles.SHIP_ORDERS, "notes": roles.ADD_ORDER_NOTE,
                 "shipping_address": roles.CORRECT_ADDRESS}
MAX_SCANNED = 1000  # orders looked at for one page of a customer's orders filtered by status
READ_MODELS = [orders_read_model.NAME]


def order_path(order_id: UUID | str) -> str:
    """Where an order is read."""
    return f"/api/orders/{order_id}/"


# One serializer for every order body: DRF deep-copies a serializer's declared fields each time one is
# made (with the nested lines and tracking, a third of an order read's CPU), and representing an
# order changes nothing in it, so it is made once and shared by all threads.
_ORDER_REPRESENTATION = OrderSerializer()


def order_body(summary: selectors.OrderSummary, *, staff: bool) -> dict[str, Any]:
    """The JSON of an order summary, as staff or as a customer may see it (see orders/visibility.py)."""
    return order_fields_for(_ORDER_REPRESENTATION.to_representation(summary), staff=staff)


def _command_schema(summary: str, description: str, request: Any, *, staff_only: bool,
                    permission: str) -> Callable[[Any], Any]:
    codes = (400, 401, 403, 404, 409, 412, 422)
    return extend_schema(
        tags=["orders"], summary=summary,
        description=description + (f" Staff with {permission} only." if staff_only
                                   else f" The order's customer, or staff with {permission}.")
        + " Answers with where the events landed (`commit_position`, also `X-Event-Position`), the new version "
          "(`ETag`) and `Location`.",
        parameters=[ORDER_ID, *COMMAND_HEADERS], request=request,
        responses={200: CommandResultSerializer, **problems(*codes)},
    )


class OrderViewSet(ApiMixin, viewsets.ViewSet):
    """Orders of the caller (all orders for staff) and the commands on them."""

    lookup_field = "order_id"
    lookup_value_regex = "[^/]+"

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        if self.action in STAFF_ACTIONS:
            return [HasStaffPermission(STAFF_ACTIONS[self.action])()]
        return super().get_permissions()

    def get_throttles(self) -> list:
        return [OrderCreateThrottle()] if self.action == "create" else []

    # -- reads ----------------------------------------------------------------------------------

    @extend_schema(
        operation_id="orders_list", tags=["orders"], summary="List orders",
        description="The caller's orders, newest first (staff: all orders, optionally one customer's). Filter by "
                    "`status`; page with `cursor` (from `next_cursor`).",
        parameters=[OrderListQuerySerializer, *READ_HEADERS, RETRY_AFTER],
        responses={200: OrderPageSerializer, **problems(400, 401, 403)},
    )
    def list(self, request: Request) -> Response:
        params = query(request, OrderListQuerySerializer)
        read = http.read_freshness(request, READ_MODELS)
        user = request.user
        customer_id = params.get("customer_id") if roles.may(user, roles.VIEW_ORDERS) else str(user.pk)
        page = _page(customer_id=customer_id, status=params.get("status"), cursor=params.get("cursor") or None,
                     page_size=params["page_size"])
        next_url = None
        if page.next_cursor is not None:
            kept = {k: v for k, v in request.query_params.items() if k not in ("cursor", "min_position")}
            next_url = f"{request.path}?{urlencode({**kept, 'cursor': page.next_cursor})}"
        staff = sees_staff_view(user)
        body = {"items": [order_body(item, staff=staff) for item in page.items], "next_cursor": page.next_cursor,
                "next": next_url, "total": page.total, "stale": read.stale}
        return Response(body, headers=http.stale_headers(read))

    @extend_schema(
        operation_id="orders_retrieve", tags=["orders"], summary="Read an order",
        description="The order as the read model knows it; `ETag` is its version (send it as If-Match). With "
                    "`min_position` the read waits for the read model (about a second at most) and says whether "
                    "it is stale.",
        parameters=[ORDER_ID, *READ_HEADERS, ETAG, RETRY_AFTER],
        responses={200: OrderDetailSerializer, **problems(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, order_id: str) -> Response:
        oid = http.parse_order_id(order_id)
        read = http.read_freshness(request, READ_MODELS)
        summary = selectors.get_order(oid)
        if summary is None or not _may_see(request, summary.customer_id):
            headers = http.stale_headers(read) if read.stale else {}
            raise not_found(f"order {oid} was not found" + (" (yet: the read model is behind)" if read.stale else ""),
                            **headers)
        return Response({**order_body(summary, staff=sees_staff_view(request.user)), "stale": read.stale},
                        headers={"ETag": http.etag(summary.version), **http.stale_headers(read)})

    @extend_schema(
        operation_id="orders_events", tags=["orders", "timelines"], summary="Timeline of an order",
        description=TIMELINE_DESCRIPTION + " The order's customer or staff. With `min_position` the customer's "
                    "read waits for the read model (about a second at most) and says whether it is stale.",
        parameters=[ORDER_ID, TimelineQuerySerializer, *READ_HEADERS, RETRY_AFTER],
        responses={200: TimelineSerializer, **problems(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, order_id: str) -> Response:
        oid = http.parse_order_id(order_id)
        owner = None if roles.may(request.user, roles.VIEW_ORDERS) else str(request.user.pk)
        stream = Order.stream_name(oid)
        headers: dict[str, str] = {}
        if owner is not None and not roles.may_read_stream(request.user, stream):  # read from the read model
            headers = http.stale_headers(http.read_freshness(request, [customer_timeline.NAME]))
        return Response(timeline_body(request, stream, owner=owner), headers=headers)

    # -- commands -------------------------------------------------------------------------------

    @extend_schema(
        operation_id="orders_create", tags=["orders"], summary="Place an order",
        description="Lines of sku and quantity only: prices come from the catalogue. `shipping_address` is required; "
                    "`contact_email` defaults to the email of the customer's account (a 400 names it when that "
                    "account has none). With an Idempotency-Key the "
                    "order id is derived from (you, key), so a retry targets the same order. The order starts "
                    "PENDING; stock is reserved in the background (read it with `min_position`). Throttled per "
                    "user (THROTTLE_ORDER_CREATE).",
        parameters=[*CREATE_HEADERS], request=CreateOrderSerializer, examples=[CREATE_ORDER_EXAMPLE],
        responses={201: CommandResultSerializer, **problems(400, 401, 403, 409, 422, 429)},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = validated(CreateOrderSerializer, request.data)
        key = key_of(request)
        order_id = derived_id(request, key) if key else uuid4()
        customer_id = data.get("customer_id") or str(request.user.pk)
        if customer_id != str(request.user.pk) and request.user.is_staff \
                and not roles.may(request.user, roles.DECIDE_ORDERS):
            raise PermissionDenied(f"placing an order for another customer needs {roles.DECIDE_ORDERS}")
        if request.user.is_staff and not is_customer_id(customer_id):  # customers are checked by the domain
            raise field_problem("customer_id", f"no user has the id {customer_id!r}")
        contact_email = data.get("contact_email") or email_of(customer_id)
        if not contact_email:
            raise field_problem("contact_email", "the customer's account has no email address; send contact_email")
        command = CreateOrder(order_id=order_id, customer_id=customer_id,
                              lines=tuple(RequestedLine(sku=line["sku"], quantity=line["quantity"])
                                          for line in data["lines"]),
                              shipping_address=data["shipping_address"], contact_email=contact_email)
        result = dispatch(command, actor=actor_for(request.user), idempotency_key=key)
        return http.command_response(result, aggregate_id=str(order_id), location=order_path(order_id), status=201)

    @_command_schema("Pay an order", "Record the payment of a CONFIRMED order; `amount` must equal its total.",
                     PayOrderSerializer, staff_only=False, permission=roles.DECIDE_ORDERS)
    @action(detail=True, methods=["post"])
    @idempotent
    def pay(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, PayOrderSerializer,
                             lambda oid, d: PayOrder(order_id=oid, amount=d["amount"],
                                                     payment_reference=d["payment_reference"]),
                             staff_permission=roles.DECIDE_ORDERS)

    @_command_schema("Cancel an order", "Cancel an order that has not shipped (a paid one is refunded).",
                     CancelOrderSerializer, staff_only=False, permission=roles.CANCEL_ORDERS)
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, CancelOrderSerializer,
                             lambda oid, d: CancelOrder(order_id=oid, reason=d["reason"]),
                             staff_permission=roles.CANCEL_ORDERS)

    @_command_schema("Ship an order", "Hand a PAID order to a carrier.", ShipOrderSerializer, staff_only=True,
                     permission=roles.SHIP_ORDERS)
    @action(detail=True, methods=["post"])
    @idempotent
    def ship(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, ShipOrderSerializer,
                             lambda oid, d: ShipOrder(order_id=oid, carrier=d["carrier"],
                                                      tracking_number=d["tracking_number"]))

    @_command_schema("Deliver an order", "Record that a SHIPPED order reached the customer; no body needed.",
                     DeliverOrderSerializer, staff_only=True, permission=roles.SHIP_ORDERS)
    @action(detail=True, methods=["post"])
    @idempotent
    def deliver(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, DeliverOrderSerializer, lambda oid, d: DeliverOrder(order_id=oid))

    @_command_schema("Add a note", "Annotate an order.", AddNoteSerializer, staff_only=True,
                     permission=roles.ADD_ORDER_NOTE)
    @action(detail=True, methods=["post"])
    @idempotent
    def notes(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, AddNoteSerializer,
                             lambda oid, d: AddOrderNote(order_id=oid, text=d["text"]))

    @_command_schema("Correct the shipping address",
                     "Replace the address of an order that has not shipped (PENDING, CONFIRMED or PAID; 409 "
                     "afterwards), saying why. The order's timeline shows the correction, who made it and why (the "
                     "reason to staff only).", CorrectShippingAddressSerializer, staff_only=True,
                     permission=roles.CORRECT_ADDRESS)
    @action(detail=True, methods=["post"], url_path="shipping-address")
    @idempotent
    def shipping_address(self, request: Request, order_id: str) -> Response:
        return self._command(request, order_id, CorrectShippingAddressSerializer,
                             lambda oid, d: CorrectShippingAddress(order_id=oid, shipping_address=d["shipping_address"],
                                                                   reason=d["reason"]))

    def _command(self, request: Request, order_id: str, serializer: Any,
                 build: Callable[[UUID, dict[str, Any]], Command], *, staff_permission: str | None = None) -> Response:
        oid = http.parse_order_id(order_id)
        if staff_permission and request.user.is_staff and not roles.may(request.user, staff_permission) \
                and not _owns(request, oid):
            # Staff lacking the permission keep a customer's rights on their own orders, nothing more.
            raise PermissionDenied(f"acting on another customer's order needs {staff_permission}")
        data = validated(serializer, request.data)
        expected = http.expected_version(request)
        try:
            result = dispatch(build(oid, data), actor=actor_for(request.user), idempotency_key=key_of(request),
                              expected_version=expected)
        except ConcurrencyError as error:
            # A pinned version is checked before ownership: never tell a customer another's order moved.
            if not isinstance(error, ContentionError) and (error.actual is None or not _owner_may_know(request, oid)):
                raise not_found(f"order {oid} was not found") from None
            raise
        return http.command_response(result, aggregate_id=str(oid), location=order_path(oid))


def _may_see(request: Request, customer_id: str) -> bool:
    return customer_id == str(request.user.pk) or roles.may(request.user, roles.VIEW_ORDERS)


def _owns(request: Request, order_id: UUID) -> bool:
    timeline = order_timeline(order_id, limit=1)
    return timeline is not None and str(timeline.state.get("customer_id")) == str(request.user.pk)


def _owner_may_know(request: Request, order_id: UUID) -> bool:
    return roles.may(request.user, roles.VIEW_ORDERS) or _owns(request, order_id)


def _page(*, customer_id: str | None, status: str | None, cursor: str | None, page_size: int) -> selectors.OrderPage:
    """One page of orders, by customer and/or status (a customer's orders by status are filtered here)."""
    if customer_id is None:
        if status is None:
            return selectors.list_orders(cursor=cursor, page_size=page_size)
        return selectors.list_orders_by_status(status, cursor=cursor, page_size=page_size)
    if status is None:
        return selectors.list_orders_by_customer(customer_id, cursor=cursor, page_size=page_size)
    wanted = OrderStatus(status)
    items: list[selectors.OrderSummary] = []
    scanned = 0
    while True:
        page = selectors.list_orders_by_customer(customer_id, cursor=cursor, page_size=page_size - len(items))
        items.extend(item for item in page.items if item.status == wanted)
        scanned += len(page.items)
        cursor = page.next_cursor
        if cursor is None or len(items) >= page_size or scanned >= MAX_SCANNED:
            return selectors.OrderPage(tuple(items), cursor, None)

