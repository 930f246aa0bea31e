"""Projection operations (staff): status and lag of every subscriber, and their dead letters."""
from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import roles
from orders.api.idempotency import idempotent
from orders.api.permissions import HasStaffPermission
from orders.api.problems import not_found
from orders.api.schema import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, RETRY_AFTER, SUBSCRIBER, problems
from orders.api.serializers import (
    DeadLetterIdsSerializer,
    DeadLetterSerializer,
    DiscardResultSerializer,
    RetryResultSerializer,
    SubscriberStatusSerializer,
)
from orders.api.views.base import ApiMixin, validated
from projections import console


def _known(name: str) -> str:
    if name not in console.names():
        raise not_found(f"no subscriber named {name[:100]}")
    return name


class ProjectionListView(ApiMixin, APIView):
    """GET: every subscriber's state, checkpoint, lag and dead-letter count."""

    permission_classes = [HasStaffPermission(roles.OPERATE_PROJECTIONS)]

    @extend_schema(
        operation_id="projections_list", tags=["projections"], summary="Projection status and lag (staff)",
        description="One entry per read model and process manager: state (idle, running, rebuilding, halted), "
                    "checkpoint, head of $all, lag in events and seconds, dead letters, last error.",
        parameters=[RETRY_AFTER],
        responses={200: SubscriberStatusSerializer(many=True), **problems(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response([asdict(row.status) for row in console.rows()])


class DeadLetterListView(ApiMixin, APIView):
    """GET: a subscriber's parked events."""

    permission_classes = [HasStaffPermission(roles.OPERATE_PROJECTIONS)]

    @extend_schema(
        operation_id="projections_dead_letters_list", tags=["projections"], summary="Dead letters (staff)",
        description="Events the subscriber could not apply, oldest first, with the error and traceback.",
        parameters=[SUBSCRIBER, RETRY_AFTER],
        responses={200: DeadLetterSerializer(many=True), **problems(401, 403, 404)},
    )
    def get(self, request: Request, name: str) -> Response:
        return Response([asdict(letter) for letter in console.list_dead_letters(_known(name))])


class DeadLetterRetryView(ApiMixin, APIView):
    """POST: apply parked events again."""

    permission_classes = [HasStaffPermission(roles.OPERATE_PROJECTIONS)]

    @extend_schema(
        operation_id="projections_dead_letters_retry", tags=["projections"], summary="Retry dead letters (staff)",
        description="Applies each parked event through its handler again; a success removes the dead letter "
                    "(and lets a halted subscriber go on). An id that is not parked comes back as not succeeded.",
        parameters=[SUBSCRIBER, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, RETRY_AFTER],
        request=DeadLetterIdsSerializer,
        responses={200: RetryResultSerializer, **problems(400, 401, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request: Request, name: str) -> Response:
        ids = validated(DeadLetterIdsSerializer, request.data)["event_ids"]
        outcomes = console.retry(_known(name), ids)
        return Response({"outcomes": [asdict(outcome) for outcome in outcomes]})


class DeadLetterDiscardView(ApiMixin, APIView):
    """POST: forget parked events."""

    permission_classes = [HasStaffPermission(roles.OPERATE_PROJECTIONS)]

    @extend_schema(
        operation_id="projections_dead_letters_discard", tags=["projections"],
        summary="Discard dead letters (staff)",
        description="Forgets parked events without applying them (a halted subscriber skips its event and goes "
                    "on). Unknown ids are ignored.",
        parameters=[SUBSCRIBER, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, RETRY_AFTER],
        request=DeadLetterIdsSerializer,
        responses={200: DiscardResultSerializer, **problems(400, 401, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request: Request, name: str) -> Response:
        ids = validated(DeadLetterIdsSerializer, request.data)["event_ids"]
        return Response({"discarded": console.discard(_known(name), ids)})
