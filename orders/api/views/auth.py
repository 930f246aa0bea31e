"""Tokens for API clients: log in with username and password, revoke your own token."""
from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.problems import Problem
from orders.api.schema import RETRY_AFTER, problems
from orders.api.serializers import TokenRequestSerializer, TokenSerializer
from orders.api.throttling import LoginIPThrottle, LoginUsernameThrottle
from orders.api.views.base import ApiMixin, validated


class TokenView(ApiMixin, APIView):
    """POST: a token for username and password. DELETE: revoke the caller's token."""

    def get_permissions(self) -> list:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_authenticators(self) -> list:
        # Logging in needs no credentials (and a stale token must not stop it); revoking needs them.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_throttles(self) -> list:
        return [LoginIPThrottle(), LoginUsernameThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="auth_token_create", tags=["auth"], auth=[],
        summary="Get a token",
        description="Returns the user's token (the same one until it is revoked); send it as "
                    "`Authorization: Token <token>`. Throttled per IP and per username (THROTTLE_LOGIN). "
                    "Naturally idempotent, so it takes no Idempotency-Key.",
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER],
        responses={200: TokenSerializer, **problems(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenRequestSerializer, request.data)
        user = authenticate(request=request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise Problem(400, "validation-error", "Invalid credentials",
                          "unable to log in with the username and password given",
                          errors=[{"field": None, "detail": "unable to log in with the username and password given"}])
        token, _ = Token.objects.get_or_create(user=user)
        body = {"token": token.key, "user": {"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff}}
        return Response(body)

    @extend_schema(
        operation_id="auth_token_destroy", tags=["auth"],
        summary="Revoke your token",
        description="Deletes the caller's token; the next login makes a new one. Staff can also revoke tokens "
                    "in the admin.",
        request=None,
        responses={204: OpenApiResponse(description="Revoked (or there was none)."), **problems(401, 403)},
    )
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
