"""Reports (staff): the dashboard's sales figures for any range of UTC days, from the `sales` read model."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import roles
from orders.api.permissions import HasStaffPermission
from orders.api.schema import RETRY_AFTER, problems
from orders.api.serializers import SalesReportQuerySerializer, SalesReportSerializer
from orders.api.views.base import ApiMixin, query
from orders.catalogue import product_infos
from projections.reports import MAX_DAYS, MAX_TOP_PRODUCTS, SalesReport, sales_report, totals_by_currency

_DAY_FORMAT = r"^\d{4}-\d{2}-\d{2}$"


class SalesReportView(ApiMixin, APIView):
    """GET: orders, revenue and refunds per UTC day and in total, per currency; the best-selling skus."""

    permission_classes = [HasStaffPermission(roles.VIEW_ORDERS)]

    @extend_schema(
        operation_id="reports_sales", tags=["reports"], summary="Sales report (staff)",
        description="The staff dashboard's figures for the UTC days `from` to `to` (inclusive, at most "
                    f"{MAX_DAYS} days), from the `sales` read model. Days are UTC calendar days of the events' "
                    "`recorded_at`: an order counts on the day it was placed (and on the day it was paid, "
                    "cancelled or rejected), revenue on the day it was paid, a refund on the day of the "
                    "cancellation that carries it. Amounts are decimal strings per currency, never mixed. "
                    "`top_products` ranks skus by units on orders paid in the range and not refunded. A missing, "
                    "malformed or reversed date, or a longer range, is a 400 naming the parameter. Staff with "
                    "orders.view_orders.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True,
                             description="First UTC day, YYYY-MM-DD.", pattern=_DAY_FORMAT),
            OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True,
                             description=f"Last UTC day (inclusive), YYYY-MM-DD; not before `from`, at most "
                                         f"{MAX_DAYS} days in all.", pattern=_DAY_FORMAT),
            OpenApiParameter("top", OpenApiTypes.INT, OpenApiParameter.QUERY,
                             description=f"How many best-selling skus to list (1-{MAX_TOP_PRODUCTS}, default 10)."),
            RETRY_AFTER,
        ],
        responses={200: SalesReportSerializer, **problems(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, SalesReportQuerySerializer)
        report = sales_report(params["from"], params["to"], top=params["top"])
        return Response(SalesReportSerializer(_body(report)).data)


def _body(report: SalesReport) -> dict[str, Any]:
    names = {sku: info.name for sku, info in product_infos(p.sku for p in report.top_products).items()}

    def counts(source: Any) -> dict[str, int]:
        return {name: getattr(source, name) for name in
                ("orders_created", "orders_paid", "orders_cancelled", "orders_refunded", "orders_rejected")}

    return {
        "from": report.start, "to": report.end,
        "days": [{"day": day.day, **counts(day), "currencies": totals_by_currency([day])} for day in report.days],
        "totals": {**counts(report), "currencies": report.totals},
        "top_products": [{"sku": p.sku, "name": names.get(p.sku, ""), "units": p.units} for p in report.top_products],
    }
