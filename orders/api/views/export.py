"""The caller's own data, for API clients: the same document as the account page's download."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.problems import unavailable
from orders.api.schema import problems
from orders.api.serializers import CustomerExportSerializer
from orders.api.views.base import ApiMixin
from orders.privacy import download
from orders.privacy.export import export_customer


class MyExportView(ApiMixin, APIView):
    """GET: everything the shop holds about the caller, as JSON."""

    @extend_schema(operation_id="me_export", tags=["me"], summary="Download my data",
                   description="The caller's account, saved addresses, notification settings and the emails sent "
                               "about their orders, and every order of theirs with its whole history as they may "
                               "see it (read from the event store: never stale, never staff notes). The same "
                               "document as the account page's \"Download my data\". Whole or not at all: while "
                               "the event store or Redis is unreachable the answer is 503.",
                   responses={200: CustomerExportSerializer, **problems(401)})
    def get(self, request: Request) -> Response:
        try:
            document = export_customer(request.user)
        except Exception as error:
            if not download.is_outage(error):
                raise
            raise unavailable(download.UNAVAILABLE) from None
        return Response(document, headers={"Cache-Control": "no-store"})
