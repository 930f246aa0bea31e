"""`manage.py import_catalogue`: products and initial stock from CSV, idempotent, all-or-nothing."""
from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from eventlog.store import EventStore
from orders.models import Product

pytestmark = pytest.mark.django_db

HEADER = "sku,name,description,price,currency,active,initial stock\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "catalogue.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def _import(path: Path) -> str:
    out = StringIO()
    call_command("import_catalogue", str(path), stdout=out)
    return out.getvalue()


def _stock_events(store: EventStore, sku: str) -> list:
    version = store.stream_version(f"inventory-{sku}")
    return [] if version is None else store.read_stream(f"inventory-{sku}")


@pytest.fixture
def skus(unique: str) -> tuple[str, str, str]:
    return f"MUG-{unique}".upper(), f"TEE-{unique}".upper(), f"CAP-{unique}".upper()


def test_products_are_created_and_initial_stock_received_through_the_event_store(tmp_path, app_store, skus):
    mug, tee, cap = skus
    path = _write(tmp_path, f'{mug},Blue mug,"Holds 350 ml, hot or cold.",12.50,EUR,true,25\n'
                            f"{tee},T-shirt,,19.90,USD,no,0\n"
                            f"{cap},Red cap,One size.,14,,,\n")
    out = _import(path)
    assert "3 created" in out and "initial stock received for 1 (25 units)" in out
    mug_row = Product.objects.get(sku=mug)
    assert (mug_row.name, mug_row.description, mug_row.unit_price, mug_row.currency, mug_row.active) == \
        ("Blue mug", "Holds 350 ml, hot or cold.", Decimal("12.50"), "EUR", True)
    tee_row = Product.objects.get(sku=tee)
    assert (tee_row.currency, tee_row.active) == ("USD", False)
    assert Product.objects.get(sku=cap).currency == "EUR"  # blank currency: the default
    [received] = _stock_events(app_store, mug)
    assert received.event_type == "StockReceived" and received.data.quantity == 25
    assert received.metadata.actor == "system:import_catalogue"
    assert _stock_events(app_store, tee) == [] and _stock_events(app_store, cap) == []


def test_running_twice_with_the_same_file_changes_nothing(tmp_path, app_store, skus):
    mug, tee, _ = skus
    path = _write(tmp_path, f"{mug},Blue mug,,12.50,EUR,true,25\n{tee},T-shirt,,19.90,EUR,true,5\n")
    _import(path)
    before = {p.sku: p.updated_at for p in Product.objects.filter(sku__in=[mug, tee])}
    versions = {sku: app_store.stream_version(f"inventory-{sku}") for sku in (mug, tee)}
    out = _import(path)
    assert "0 created, 0 updated, 2 unchanged" in out and "received for 0" in out
    assert {p.sku: p.updated_at for p in Product.objects.filter(sku__in=[mug, tee])} == before
    assert {sku: app_store.stream_version(f"inventory-{sku}") for sku in (mug, tee)} == versions


def test_a_changed_file_updates_products_but_never_receives_initial_stock_again(tmp_path, app_store, skus):
    mug, *_ = skus
    _import(_write(tmp_path, f"{mug},Blue mug,,12.50,EUR,true,25\n"))
    out = _import(_write(tmp_path, f"{mug},Blue enamel mug,,13.00,EUR,true,40\n"))
    assert "1 updated" in out and "initial stock skipped" in out and mug in out
    product = Product.objects.get(sku=mug)
    assert (product.name, product.unit_price) == ("Blue enamel mug", Decimal("13.00"))
    assert len(_stock_events(app_store, mug)) == 1


def test_bad_lines_are_each_named_and_nothing_is_written(tmp_path, app_store, skus):
    mug, tee, cap = skus
    path = _write(tmp_path, f"{mug},Blue mug,,12.50,EUR,true,25\n"        # line 2: fine
                            f"{tee},,,abc,euro,maybe,-3\n"                 # line 3: five problems
                            f"lower-case,Cap,,0,EUR,true,1\n"              # line 4: sku and price
                            f"{mug},Again,,1.00,EUR,true,1\n"              # line 5: duplicate
                            f"{cap},Cap,,1.00,EUR,true,1,extra\n")         # line 6: too many values
    with pytest.raises(CommandError) as raised:
        _import(path)
    message = str(raised.value)
    assert "nothing was imported" in message
    for expected in ("line 3, column name:", "line 3, column price:", "line 3, column currency:",
                     "line 3, column active: 'maybe' is not true/false",
                     "line 3, column initial_stock: '-3' is not a whole number",
                     "line 4, column sku:", "line 4, column price:",
                     f"line 5, column sku: '{mug}' already appears on line 2",
                     "line 6: 1 more value(s)"):
        assert expected in message, (expected, message)
    assert not Product.objects.filter(sku__in=[mug, tee, cap]).exists()
    assert _stock_events(app_store, mug) == []


@pytest.mark.parametrize(("header", "expected"), [
    ("sku,name,price\n", "line 1 (header): missing column(s): description, currency, active, initial_stock"),
    (HEADER.strip() + ",colour\n", "line 1 (header): unknown column(s): colour"),
])
def test_a_wrong_header_is_refused(tmp_path, header, expected):
    with pytest.raises(CommandError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        _import(_write(tmp_path, "X,Y,1\n", header=header))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "CAFE,Café,,1.00,EUR,true,0\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        _import(path)


def test_a_dry_run_checks_and_writes_nothing(tmp_path, app_store, skus):
    mug, *_ = skus
    out = StringIO()
    call_command("import_catalogue", str(_write(tmp_path, f"{mug},Blue mug,,12.50,EUR,true,25\n")), "--dry-run",
                 stdout=out)
    assert "1 products, no problems found" in out.getvalue()
    assert not Product.objects.filter(sku=mug).exists() and _stock_events(app_store, mug) == []
