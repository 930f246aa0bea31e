"""The catalogue with availability: prices from the catalogue, stock from the inventory read model."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.http import read_freshness, stale_headers
from orders.api.schema import READ_HEADERS, RETRY_AFTER, problems
from orders.api.serializers import ProductListSerializer, ProductSerializer
from orders.api.views.base import ApiMixin
from orders.models import Product
from orders.product_stock import with_stock
from projections import inventory


class ProductListView(ApiMixin, APIView):
    """GET: the catalogue (anyone may browse it)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="products_list", tags=["products"], summary="List products",
        description="Active products with their price and the units available now. Staff also see inactive "
                    "products. Prices are what an order is charged; clients never send prices.",
        parameters=[*READ_HEADERS, RETRY_AFTER],
        responses={200: ProductListSerializer, **problems(400, 401)},
    )
    def get(self, request: Request) -> Response:
        read = read_freshness(request, [inventory.NAME])
        products = Product.objects.all()
        if not (request.user.is_authenticated and request.user.is_staff):
            products = products.filter(active=True)
        items = ProductSerializer(with_stock(products.order_by("sku")), many=True).data
        return Response({"items": items, "stale": read.stale}, headers=stale_headers(read))
