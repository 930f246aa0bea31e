"""What every API view shares: JSON in and out, problem details for errors."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from orders.api.problems import exception_handler


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what it would let through to a 500: deep nesting, lone surrogates."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        try:  # "\ud800" parses to a str that cannot be stored (nor encoded as UTF-8)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ParseError("JSON parse error - not valid Unicode text") from None
        return data


class ApiMixin:
    """JSON only, problem details for every error."""

    renderer_classes: Sequence[type[BaseRenderer]] = [JSONRenderer]
    parser_classes: Sequence[type[parsers.BaseParser]] = [JSONParser]

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
