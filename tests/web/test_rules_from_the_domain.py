"""Input rules are stated once, in the domain; pages, the API and its schema take them from there."""
from __future__ import annotations

from uuid import UUID

import pytest

from orders.admin import forms as admin_forms
from orders.api import serializers as api
from orders.domain import commands as c
from orders.web import forms as web_forms


@pytest.mark.parametrize(("field", "limit"), [
    (web_forms.CancelForm().fields["reason"], c.MAX_REASON_LENGTH),
    (admin_forms.ReasonForm().fields["reason"], c.MAX_REASON_LENGTH),
    (admin_forms.AdjustStockForm().fields["reason"], c.MAX_REASON_LENGTH),
    (admin_forms.PayForm().fields["payment_reference"], c.MAX_PAYMENT_REFERENCE_LENGTH),
    (admin_forms.ShipForm().fields["carrier"], c.MAX_CARRIER_LENGTH),
    (admin_forms.ShipForm().fields["tracking_number"], c.MAX_TRACKING_NUMBER_LENGTH),
    (admin_forms.NoteForm().fields["text"], c.MAX_NOTE_LENGTH),
    (api.CancelOrderSerializer().fields["reason"], c.MAX_REASON_LENGTH),
    (api.AdjustStockSerializer().fields["reason"], c.MAX_REASON_LENGTH),
    (api.PayOrderSerializer().fields["payment_reference"], c.MAX_PAYMENT_REFERENCE_LENGTH),
    (api.ShipOrderSerializer().fields["carrier"], c.MAX_CARRIER_LENGTH),
    (api.ShipOrderSerializer().fields["tracking_number"], c.MAX_TRACKING_NUMBER_LENGTH),
    (api.AddNoteSerializer().fields["text"], c.MAX_NOTE_LENGTH),
])
def test_text_limits_are_the_domains(field, limit) -> None:
    assert field.max_length == limit


def test_a_reason_the_domain_accepts_is_accepted_by_the_forms() -> None:
    longest = "x" * c.MAX_REASON_LENGTH
    c.CancelOrder(order_id=UUID(int=1), reason=longest)  # the domain takes it
    assert web_forms.CancelForm({"version": 0, "reason": longest}).is_valid()
    assert admin_forms.ReasonForm({"version": 0, "reason": longest}).is_valid()


def test_a_zero_adjustment_is_refused_everywhere() -> None:
    assert not c.changes_stock(0) and c.changes_stock(-1)
    with pytest.raises(c.CommandValidationError):
        c.AdjustStock(sku="MUG-1", delta=0, reason="count")
    assert "delta" in admin_forms.AdjustStockForm({"delta": 0, "reason": "count"}).errors
    serializer = api.AdjustStockSerializer(data={"delta": 0, "reason": "count"})
    assert not serializer.is_valid() and "delta" in serializer.errors
