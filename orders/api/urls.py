"""REST API routes under /api/ (see the OpenAPI schema at /api/schema/ and Swagger UI at /api/docs/)."""
from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from orders.api.views.addresses import MyAddressesView, MyAddressView
from orders.api.views.auth import TokensView, TokenView
from orders.api.views.export import MyExportView
from orders.api.views.inventory import InventoryViewSet
from orders.api.views.orders import OrderViewSet
from orders.api.views.products import ProductListView
from orders.api.views.projections import (
    DeadLetterDiscardView,
    DeadLetterListView,
    DeadLetterRetryView,
    ProjectionListView,
)
from orders.api.views.reports import SalesReportView
from orders.api.views.timelines import StreamEventsView

app_name = "api"

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("inventory", InventoryViewSet, basename="inventory")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokensView.as_view(), name="tokens"),
    path("products/", ProductListView.as_view(), name="products"),
    path("me/addresses/", MyAddressesView.as_view(), name="my-addresses"),
    path("me/addresses/<str:address_id>/", MyAddressView.as_view(), name="my-address"),  # any text: a 404 problem
    path("me/export/", MyExportView.as_view(), name="my-export"),
    path("streams/<str:stream>/events/", StreamEventsView.as_view(), name="stream-events"),
    path("projections/", ProjectionListView.as_view(), name="projections"),
    path("projections/<str:name>/dead-letters/", DeadLetterListView.as_view(), name="dead-letters"),
    path("projections/<str:name>/dead-letters/retry/", DeadLetterRetryView.as_view(), name="dead-letters-retry"),
    path("projections/<str:name>/dead-letters/discard/", DeadLetterDiscardView.as_view(),
         name="dead-letters-discard"),
    path("reports/sales/", SalesReportView.as_view(), name="reports-sales"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
