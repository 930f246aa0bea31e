"""Commands validate their own shape and name the offending field."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from orders.domain import commands as c
from orders.domain.errors import CommandValidationError, DomainError
from orders.domain.values import UnavailableLine

OID = UUID(int=1)


def test_create_order_freezes_its_lines() -> None:
    command = c.CreateOrder(OID, "42", [c.RequestedLine("A", 1)])  # type: ignore[arg-type]
    assert command.lines == (c.RequestedLine("A", 1),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.customer_id = "43"  # type: ignore[misc]


def test_pay_order_quantizes_whole_amounts() -> None:
    assert str(c.PayOrder(OID, Decimal("12"), "ref").amount) == "12.00"
    assert str(c.PayOrder(OID, 12, "ref").amount) == "12.00"  # type: ignore[arg-type]


def test_reject_order_lines_default_to_none() -> None:
    assert c.RejectOrder(OID, "no stock").unavailable_lines == ()


CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("order_id", lambda: c.ConfirmOrder("3f2a"), "must be a UUID"),  # type: ignore[arg-type]
    ("customer_id", lambda: c.CreateOrder(OID, "", (c.RequestedLine("A", 1),)), "must not be empty"),
    ("customer_id", lambda: c.CreateOrder(OID, 42, (c.RequestedLine("A", 1),)), "must be text"),  # type: ignore[arg-type]
    ("lines", lambda: c.CreateOrder(OID, "42", ()), "1 to 50 lines, got 0"),
    ("lines", lambda: c.CreateOrder(OID, "42", tuple(c.RequestedLine(f"S{i}", 1) for i in range(51))), "got 51"),
    ("lines", lambda: c.CreateOrder(OID, "42", (c.RequestedLine("A", 1), c.RequestedLine("A", 2))),
     "sku A appears more than once"),
    ("lines", lambda: c.CreateOrder(OID, "42", "A"), "must be a sequence"),  # type: ignore[arg-type]
    ("lines[0]", lambda: c.CreateOrder(OID, "42", (("A", 1),)), "must be a RequestedLine"),  # type: ignore[arg-type]
    ("quantity", lambda: c.RequestedLine("A", 0), "at least 1"),
    ("quantity", lambda: c.RequestedLine("A", 1001), "at most 1000"),
    ("quantity", lambda: c.RequestedLine("A", 1.0), "whole number"),  # type: ignore[arg-type]
    ("quantity", lambda: c.RequestedLine("A", True), "whole number"),
    ("quantity", lambda: c.RequestedLine("A", "2"), "whole number"),  # type: ignore[arg-type]
    ("sku", lambda: c.RequestedLine("", 1), "not a valid sku"),
    ("sku", lambda: c.RequestedLine("has space", 1), "not a valid sku"),
    ("sku", lambda: c.RequestedLine("x" * 65, 1), "not a valid sku"),
    ("reason", lambda: c.RejectOrder(OID, "  "), "must not be empty"),
    ("unavailable_lines[0]", lambda: c.RejectOrder(OID, "r", ("A",)), "must be a UnavailableLine"),  # type: ignore[arg-type]
    ("unavailable_lines[0].requested", lambda: c.RejectOrder(OID, "r", (UnavailableLine("A", 0, 0),)), "at least 1"),
    ("unavailable_lines[0].available", lambda: c.RejectOrder(OID, "r", (UnavailableLine("A", 1, -1),)), "at least 0"),
    ("amount", lambda: c.PayOrder(OID, 18.25, "ref"), "must be a Decimal amount, got float"),  # type: ignore[arg-type]
    ("amount", lambda: c.PayOrder(OID, Decimal("-1"), "ref"), "zero or positive"),
    ("amount", lambda: c.PayOrder(OID, Decimal("1.005"), "ref"), "fractions of a cent"),
    ("amount", lambda: c.PayOrder(OID, Decimal("NaN"), "ref"), "finite"),
    ("amount", lambda: c.PayOrder(OID, Decimal("Infinity"), "ref"), "finite"),
    ("payment_reference", lambda: c.PayOrder(OID, Decimal("1"), ""), "must not be empty"),
    ("carrier", lambda: c.ShipOrder(OID, "", "T1"), "must not be empty"),
    ("tracking_number", lambda: c.ShipOrder(OID, "DHL", " "), "must not be empty"),
    ("tracking_number", lambda: c.ShipOrder(OID, "DHL", "x" * 101), "at most 100 characters"),
    ("order_id", lambda: c.DeliverOrder(None), "must be a UUID"),  # type: ignore[arg-type]
    ("reason", lambda: c.CancelOrder(OID, ""), "must not be empty"),
    ("text", lambda: c.AddOrderNote(OID, ""), "must not be empty"),
    ("sku", lambda: c.ReceiveStock("bad sku", 1), "not a valid sku"),
    ("quantity", lambda: c.ReceiveStock("A", 0), "at least 1"),
    ("quantity", lambda: c.ReceiveStock("A", -5), "at least 1"),
    ("order_id", lambda: c.ReserveStock("A", str(OID), 1), "must be a UUID"),  # type: ignore[arg-type]
    ("quantity", lambda: c.ReserveStock("A", OID, 0), "at least 1"),
    ("order_id", lambda: c.ReleaseStock("A", 1), "must be a UUID"),  # type: ignore[arg-type]
    ("order_id", lambda: c.ShipStock("A", 1), "must be a UUID"),  # type: ignore[arg-type]
    ("delta", lambda: c.AdjustStock("A", 0, "recount"), "must not be zero"),
    ("delta", lambda: c.AdjustStock("A", 2.0, "recount"), "whole number"),  # type: ignore[arg-type]
    ("reason", lambda: c.AdjustStock("A", 1, ""), "must not be empty"),
]


@pytest.mark.parametrize(("field", "build", "problem"), CASES, ids=[f"{i}-{case[0]}" for i, case in enumerate(CASES)])
def test_bad_shapes_name_the_field(field: str, build: Callable[[], Any], problem: str) -> None:
    with pytest.raises(CommandValidationError) as caught:
        build()
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, DomainError)


def test_every_command_is_a_frozen_slotted_dataclass() -> None:
    for command in (getattr(c, name) for name in c.__all__):
        if isinstance(command, type) and issubclass(command, c.Command):
            assert dataclasses.is_dataclass(command)
            assert command.__dataclass_params__.frozen  # type: ignore[attr-defined]
            assert "__slots__" in command.__dict__, command


# -- free text: no control or format characters -----------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\u202a", "\u202e", "\u2066", "\u2069", "\u200b",
                                  "\u200c", "\u200d", "\ufeff", "\u2028", "\u00ad"])
def test_notes_and_reasons_refuse_control_and_format_characters(char: str) -> None:
    for build in (lambda: c.AddOrderNote(OID, f"ok{char}ok"), lambda: c.CancelOrder(OID, f"ok{char}ok"),
                  lambda: c.RejectOrder(OID, f"ok{char}ok"), lambda: c.AdjustStock("A", 1, f"ok{char}ok")):
        with pytest.raises(CommandValidationError, match=f"found U\\+{ord(char):04X} at position 3"):
            build()


@pytest.mark.parametrize("char", ["\n", "\t", "\r", "\u202e", "\u200b"])
def test_single_line_fields_refuse_line_breaks_tabs_and_format_characters(char: str) -> None:
    for field, build in (("carrier", lambda: c.ShipOrder(OID, f"DHL{char}x", "T1")),
                         ("tracking_number", lambda: c.ShipOrder(OID, "DHL", f"T{char}1")),
                         ("payment_reference", lambda: c.PayOrder(OID, Decimal("1"), f"P{char}1"))):
        with pytest.raises(CommandValidationError) as caught:
            build()
        assert caught.value.field == field


def test_multi_line_fields_keep_newlines_and_tabs_and_store_the_text_trimmed() -> None:
    assert c.AddOrderNote(OID, "  one\r\n\ttwo\rthree \n").text == "one\n\ttwo\nthree"
    assert c.ShipOrder(OID, " DHL ", " T1 ").carrier == "DHL"
    assert c.CancelOrder(OID, "caf\u00e9 \u4e2d\u6587 \U0001f600").reason == "caf\u00e9 \u4e2d\u6587 \U0001f600"


@pytest.mark.parametrize("blank", ["", "   ", "\n\t\n", "\u3000\u00a0"])
def test_text_that_is_blank_after_trimming_is_blank(blank: str) -> None:
    with pytest.raises(CommandValidationError, match="must not be empty"):
        c.AddOrderNote(OID, blank)
