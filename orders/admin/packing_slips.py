"""Packing slips for the warehouse: one printed page per order (lines, quantities, address, order id as text and QR).

Read from the orders read model (what the list shows); gated by `ship_orders`. One order from its page,
or a selection from the order list: only orders ready to ship (CONFIRMED or PAID) get a slip.
"""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import segno
from django.contrib.admin import AdminSite
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.safestring import SafeString, mark_safe

from orders import roles
from orders.admin.pages import binder
from orders.domain.values import OrderStatus
from projections import selectors

# A warehouse prints a morning's batch, not the whole history.
MAX_SLIPS = 100
READY_TO_SHIP = frozenset({OrderStatus.CONFIRMED, OrderStatus.PAID})


@dataclass(frozen=True, slots=True)
class Slip:
    """One order's packing slip."""

    order: selectors.OrderSummary
    qr_svg: SafeString


def urls(site: AdminSite) -> list[URLPattern]:
    """The packing-slip pages (before the order action route, which would take "packing-slip" as an action)."""
    bind = binder(site, permission=roles.SHIP_ORDERS)
    return [
        path("orders/order/packing-slips/", bind(packing_slips), name="es_packing_slips"),
        path("orders/order/<uuid:order_id>/packing-slip/", bind(packing_slip), name="es_packing_slip"),
    ]


def packing_slip(request: HttpRequest, site: AdminSite, *, order_id: UUID) -> HttpResponse:
    """The slip of one order (any status: a reprint after shipping is the warehouse's business)."""
    order = selectors.get_order(order_id)
    if order is None:
        raise Http404("no such order (or the orders read model has not caught up yet)")
    return _render(request, site, [_slip(order)], skipped=[])


def packing_slips(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The slips of the selected orders (`?order=<id>&order=<id>`) that are ready to ship, in the order given."""
    wanted: list[UUID] = []
    for raw in request.GET.getlist("order")[:MAX_SLIPS]:
        try:
            wanted.append(UUID(raw))
        except ValueError:
            continue  # not an order id: nothing to print for it
    slips, skipped = [], []
    for order_id in dict.fromkeys(wanted):
        order = selectors.get_order(order_id)
        if order is not None and order.status in READY_TO_SHIP:
            slips.append(_slip(order))
        else:
            skipped.append((order_id, order.status.value if order is not None else "not found"))
    return _render(request, site, slips, skipped=skipped)


def _slip(order: selectors.OrderSummary) -> Slip:
    label = f"QR code of order id {order.order_id}"
    # segno writes the SVG from the order id alone (a UUID): nothing user-supplied reaches this markup.
    svg = segno.make(str(order.order_id), error="m").svg_inline(scale=3, title=label, svgclass="qr")
    return Slip(order, mark_safe(svg))  # noqa: S308 - generated SVG of a UUID


def _render(request: HttpRequest, site: AdminSite, slips: list[Slip], *,
            skipped: list[tuple[UUID, str]]) -> HttpResponse:
    return TemplateResponse(request, "admin/es/packing_slips.html", {
        **site.each_context(request), "title": "Packing slips" if len(slips) != 1 else "Packing slip",
        "slips": slips, "skipped": skipped, "max_slips": MAX_SLIPS,
    })
