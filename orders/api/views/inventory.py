"""Stock (staff): levels from the inventory read model, receive and adjust through `dispatch`."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from orders import roles
from orders.actors import actor_for
from orders.api import http
from orders.api.idempotency import idempotent, key_of
from orders.api.permissions import HasStaffPermission
from orders.api.problems import not_found
from orders.api.schema import COMMAND_HEADERS, ETAG, READ_HEADERS, RETRY_AFTER, SKU, problems
from orders.api.serializers import (
    AdjustStockSerializer,
    CommandResultSerializer,
    InventoryQuerySerializer,
    ReceiveStockSerializer,
    StockLevelDetailSerializer,
    StockLevelSerializer,
    StockListSerializer,
)
from orders.api.views.base import ApiMixin, query, validated
from orders.catalogue import product_infos
from orders.domain.commands import AdjustStock, Command, ReceiveStock
from orders.domain.validation import SKU_PATTERN
from orders.handlers import dispatch
from projections import inventory, selectors

READ_MODELS = [inventory.NAME]


def stock_path(sku: str) -> str:
    """Where a sku's stock is read."""
    return f"/api/inventory/{sku}/"


def stock_body(level: selectors.StockLevel) -> dict[str, Any]:
    """The JSON of a stock level."""
    return dict(StockLevelSerializer(level).data)


def _command_schema(summary: str, description: str, request: Any) -> Any:
    return extend_schema(
        tags=["inventory"], summary=summary,
        description=description + " Staff with orders.manage_stock; the sku must be in the catalogue. Answers"
        " with `commit_position` (X-Event-Position), the new version (ETag) and Location.",
        parameters=[SKU, *COMMAND_HEADERS], request=request,
        responses={200: CommandResultSerializer, **problems(400, 401, 403, 404, 409, 412, 422)},
    )


class InventoryViewSet(ApiMixin, viewsets.ViewSet):
    """Stock levels and stock commands, per sku."""

    permission_classes = [HasStaffPermission(roles.MANAGE_STOCK, roles.VIEW_ORDERS)]  # reads
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        operation_id="inventory_list", tags=["inventory"], summary="List stock levels (staff)",
        description="Every sku with stock history (or only those low on stock), by sku. Staff with "
                    "orders.manage_stock or orders.view_orders.",
        parameters=[InventoryQuerySerializer, *READ_HEADERS, RETRY_AFTER],
        responses={200: StockListSerializer, **problems(400, 401, 403)},
    )
    def list(self, request: Request) -> Response:
        params = query(request, InventoryQuerySerializer)
        read = http.read_freshness(request, READ_MODELS)
        levels = selectors.list_low_stock() if params["low"] else selectors.list_stock_levels()
        if params["low"]:
            levels = sorted(levels, key=lambda level: level.sku)
        return Response({"items": [stock_body(level) for level in levels], "stale": read.stale},
                        headers=http.stale_headers(read))

    @extend_schema(
        operation_id="inventory_retrieve", tags=["inventory"], summary="Read a sku's stock (staff)",
        description="`ETag` is the inventory aggregate's version (send it as If-Match). Staff with "
                    "orders.manage_stock or orders.view_orders.",
        parameters=[SKU, *READ_HEADERS, ETAG, RETRY_AFTER],
        responses={200: StockLevelDetailSerializer, **problems(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, sku: str) -> Response:
        read = http.read_freshness(request, READ_MODELS)
        level = selectors.get_stock_level(sku) if SKU_PATTERN.fullmatch(sku) else None
        if level is None:
            raise not_found(f"no stock history for {sku[:64]}", **(http.stale_headers(read) if read.stale else {}))
        return Response({**stock_body(level), "stale": read.stale},
                        headers={"ETag": http.etag(level.version), **http.stale_headers(read)})

    @_command_schema("Receive stock", "Add delivered units to stock on hand.", ReceiveStockSerializer)
    @action(detail=True, methods=["post"], permission_classes=[HasStaffPermission(roles.MANAGE_STOCK)])
    @idempotent
    def receive(self, request: Request, sku: str) -> Response:
        return self._command(request, sku, ReceiveStockSerializer,
                             lambda d: ReceiveStock(sku=sku, quantity=d["quantity"]))

    @_command_schema("Adjust stock", "Correct stock on hand by a non-zero delta, with a reason (409 if it would "
                     "drop below what is reserved).", AdjustStockSerializer)
    @action(detail=True, methods=["post"], permission_classes=[HasStaffPermission(roles.MANAGE_STOCK)])
    @idempotent
    def adjust(self, request: Request, sku: str) -> Response:
        return self._command(request, sku, AdjustStockSerializer,
                             lambda d: AdjustStock(sku=sku, delta=d["delta"], reason=d["reason"]))

    def _command(self, request: Request, sku: str, serializer: Any, build: Any) -> Response:
        if not SKU_PATTERN.fullmatch(sku) or sku not in product_infos([sku]):
            raise not_found(f"product {sku[:64]} is not in the catalogue")
        data = validated(serializer, request.data)
        command: Command = build(data)
        result = dispatch(command, actor=actor_for(request.user), idempotency_key=key_of(request),
                          expected_version=http.expected_version(request))
        return http.command_response(result, aggregate_id=sku, location=stock_path(sku))

