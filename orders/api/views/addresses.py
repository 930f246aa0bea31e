"""The caller's saved shipping addresses: list, add, delete (only ever their own)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.addressbook import book
from orders.api.problems import not_found, validation_problem
from orders.api.schema import problems
from orders.api.serializers import SavedAddressListSerializer, SavedAddressSerializer, ShippingAddressSerializer
from orders.api.views.base import ApiMixin
from orders.domain.errors import CommandValidationError

ADDRESS_ID = OpenApiParameter("address_id", int, OpenApiParameter.PATH, description="A saved address's id.")


class MyAddressesView(ApiMixin, APIView):
    """GET: the caller's saved addresses; POST: save one more."""

    @extend_schema(operation_id="me_addresses_list", tags=["me"], summary="My saved addresses",
                   description="The caller's saved shipping addresses, newest first (never anyone else's).",
                   responses={200: SavedAddressListSerializer, **problems(401)})
    def get(self, request: Request) -> Response:
        return Response({"items": SavedAddressSerializer(book.addresses_of(request.user), many=True).data})

    @extend_schema(operation_id="me_addresses_create", tags=["me"], summary="Save an address",
                   description=f"Keep an address to pick at checkout (at most {book.MAX_SAVED_ADDRESSES}; saving an "
                               "identical one again returns the one already saved).",
                   request=ShippingAddressSerializer, responses={201: SavedAddressSerializer, **problems(400, 401)})
    def post(self, request: Request) -> Response:
        serializer = ShippingAddressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            saved = book.save(request.user, serializer.validated_data)
        except CommandValidationError as error:  # the domain's finer rules (postal code, phone)
            raise validation_problem([{"field": error.field.removeprefix("shipping_address."),
                                       "detail": error.problem}]) from None
        except book.AddressBookFullError as error:
            raise validation_problem([{"field": "", "detail": str(error)}]) from None
        return Response(SavedAddressSerializer(saved).data, status=201,
                        headers={"Location": f"/api/me/addresses/{saved.pk}/"})


class MyAddressView(ApiMixin, APIView):
    """DELETE one of the caller's saved addresses."""

    @extend_schema(operation_id="me_addresses_destroy", tags=["me"], summary="Delete a saved address",
                   description="Another customer's address is 404, like a missing one.", parameters=[ADDRESS_ID],
                   responses={204: None, **problems(401, 404)})
    def delete(self, request: Request, address_id: str) -> Response:
        if not book.delete(request.user, address_id):
            raise not_found(f"address {address_id[:40]} was not found")
        return Response(status=204)
