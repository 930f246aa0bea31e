"""What every API view shares: JSON in and out, problem details for errors."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from orders.api.problems import exception_handler


class ApiMixin:
    """JSON only, problem details for every error."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    def get_exception_handler(self) -> Callable[..., Any]:
        return exception_handler


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validate input with a serializer (a ValidationError becomes a 400 problem)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query(request: Request, serializer_class: type[Serializer]) -> dict[str, Any]:
    """Validate query parameters (an empty value is a value, not an omission: `?status=` is invalid)."""
    return validated(serializer_class, dict(request.query_params.items()))
