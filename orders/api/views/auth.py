"""Tokens for API clients: log in with username and password, revoke this token or all of yours.

Tokens are django-rest-knox's: only a hash is stored, each expires after TOKEN_TTL_HOURS, and a
user may hold several (one per client). Logins go through `authenticate(request=...)`, so
django-axes counts failures and locks out here as on the pages and the admin.
"""
from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.problems import ProblemError
from orders.api.schema import RETRY_AFTER, problems
from orders.api.serializers import TokenRequestSerializer, TokenSerializer
from orders.api.throttling import LoginIPThrottle, LoginUsernameThrottle
from orders.api.views.base import ApiMixin, validated

_INVALID = "unable to log in with the username and password given"


class TokenView(ApiMixin, APIView):
    """POST: a new token for username and password. DELETE: revoke the token this request carries."""

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
        description="Returns a new token and when it expires (TOKEN_TTL_HOURS); send it as "
                    "`Authorization: Token <token>`. Only a hash is stored, so the token is shown once. "
                    "Throttled per IP and per username (THROTTLE_LOGIN); repeated wrong passwords lock the "
                    "username and the address out (429 `locked-out`, even for the right password, until "
                    "the cool-off passes or staff unlock it).",
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER],
        responses={200: TokenSerializer, **problems(400, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenRequestSerializer, request.data)
        # A locked-out login also returns None here; axes' middleware then answers with the
        # lockout problem (config/lockout.py) instead of this 400.
        user = authenticate(request=request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise ProblemError(400, "validation-error", "Invalid credentials", _INVALID,
                          errors=[{"field": None, "detail": _INVALID}])
        instance, token = AuthToken.objects.create(user=user)
        body = {"token": token, "expiry": instance.expiry,
                "user": {"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff}}
        return Response(TokenSerializer(body).data)

    @extend_schema(
        operation_id="auth_token_destroy", tags=["auth"],
        summary="Revoke this token",
        description="Deletes the token this request is authenticated with (a session has none to revoke). "
                    "`DELETE /api/auth/tokens/` revokes all of yours; staff can revoke any in the admin.",
        request=None,
        responses={204: OpenApiResponse(description="Revoked (or there was none)."), **problems(401, 403)},
    )
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokensView(ApiMixin, APIView):
    """DELETE: revoke every token of the caller (every client logged in with them)."""

    @extend_schema(
        operation_id="auth_tokens_destroy", tags=["auth"],
        summary="Revoke all your tokens",
        description="Deletes every token of the authenticated user, including the one this request carries.",
        request=None,
        responses={204: OpenApiResponse(description="All revoked."), **problems(401, 403)},
    )
    def delete(self, request: Request) -> Response:
        AuthToken.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
