"""Load a product catalogue from CSV: validate every line first, then write products and initial stock.

Columns: sku, name, description, price, currency, active, initial_stock ("initial stock" also works).
Products are created or updated (only changed fields are saved). Initial stock is received through
`dispatch` only for a sku whose inventory has no history yet, under an idempotency key per sku, so a
second run with the same file, or a run resumed after a crash, receives nothing twice.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from eventlog.store import EventStore
from orders.domain.commands import MAX_STOCK_QUANTITY, ReceiveStock
from orders.domain.errors import DomainError
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product

COLUMNS = ("sku", "name", "description", "price", "currency", "active", "initial_stock")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}
ACTOR = Actor.system("import_catalogue")
MAX_ERRORS_SHOWN = 50


class CatalogueImportError(Exception):
    """The file cannot be imported; `errors` says where and why (nothing was written)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__("\n".join(shown) + more)


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """One validated line of the file."""

    line: int
    sku: str
    name: str
    description: str
    price: Decimal
    currency: str
    active: bool
    initial_stock: int


@dataclass
class ImportSummary:
    """What an import did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stock_received: dict[str, int] = field(default_factory=dict)
    stock_skipped: list[str] = field(default_factory=list)  # had stock history already


def parse_catalogue(data: bytes) -> list[CatalogueRow]:
    """Every line of the CSV, validated; raises CatalogueImportError listing every problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogueImportError([f"the file is not UTF-8 (byte {error.start}): save it as UTF-8 CSV"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower().replace(" ", "_") for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if not header:
        raise CatalogueImportError(["the file is empty: the first line must name the columns " + ", ".join(COLUMNS)])
    if missing or unknown:
        problems = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + \
                   ([f"unknown column(s): {', '.join(unknown)}"] if unknown else [])
        raise CatalogueImportError([f"line 1 (header): {problem}" for problem in problems])
    reader.fieldnames = header
    rows: list[CatalogueRow] = []
    errors: list[str] = []
    first_line_of: dict[str, int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise CatalogueImportError([f"line {reader.line_num}: not valid CSV ({error})"]) from None
        line = reader.line_num
        if None in raw:
            errors.append(f"line {line}: {len(raw[None])} more value(s) than the {len(COLUMNS)} columns")
            continue
        if all(not (value or "").strip() for value in raw.values()):
            continue  # a blank line
        row, row_errors = _parse_row(line, raw)
        if row is not None and row.sku in first_line_of:
            row_errors.append(f"line {line}, column sku: {row.sku!r} already appears on line {first_line_of[row.sku]}")
        errors.extend(row_errors)
        if row is not None and not row_errors:
            first_line_of[row.sku] = line
            rows.append(row)
    if errors:
        raise CatalogueImportError(errors)
    if not rows:
        raise CatalogueImportError(["the file has a header but no products"])
    return rows


def _parse_row(line: int, raw: dict[str, str | None]) -> tuple[CatalogueRow | None, list[str]]:
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    errors: list[str] = []

    def problem(column: str, message: str) -> None:
        errors.append(f"line {line}, column {column}: {message}")

    active = True
    if values["active"]:
        if values["active"].lower() in _TRUE:
            active = True
        elif values["active"].lower() in _FALSE:
            active = False
        else:
            problem("active", f"{values['active']!r} is not true/false (or yes/no, 1/0)")
    stock = 0
    if values["initial_stock"]:
        if not (values["initial_stock"].isascii() and values["initial_stock"].isdigit()):
            problem("initial_stock", f"{values['initial_stock']!r} is not a whole number of units (0 or more)")
        elif int(values["initial_stock"]) > MAX_STOCK_QUANTITY:
            problem("initial_stock", f"must be at most {MAX_STOCK_QUANTITY}")
        else:
            stock = int(values["initial_stock"])
    # The model's own validators (sku pattern, price > 0 with 2 decimals, currency code, lengths).
    product = Product(sku=values["sku"], name=values["name"], description=values["description"],
                      unit_price=values["price"], currency=values["currency"] or "EUR", active=active)
    try:
        product.clean_fields(exclude=["created_at", "updated_at"])
    except ValidationError as error:
        column_of = {"unit_price": "price"}
        for name, messages in error.message_dict.items():
            for message in messages:
                problem(column_of.get(name, name), message)
    if errors:
        return None, errors
    return CatalogueRow(line=line, sku=product.sku, name=product.name, description=product.description,
                        price=product.unit_price, currency=product.currency, active=active,
                        initial_stock=stock), errors


def apply_catalogue(rows: list[CatalogueRow], *, store: EventStore) -> ImportSummary:
    """Create or update the products (one transaction), then receive each new sku's initial stock."""
    summary = ImportSummary()
    with transaction.atomic():
        existing = {product.sku: product for product in Product.objects.select_for_update()
                    .filter(sku__in=[row.sku for row in rows])}
        for row in rows:
            wanted = {"name": row.name, "description": row.description, "unit_price": row.price,
                      "currency": row.currency, "active": row.active}
            product = existing.get(row.sku)
            if product is None:
                Product.objects.create(sku=row.sku, **wanted)
                summary.created.append(row.sku)
                continue
            changed = [name for name, value in wanted.items() if getattr(product, name) != value]
            if not changed:
                summary.unchanged.append(row.sku)
                continue
            for name in changed:
                setattr(product, name, wanted[name])
            product.save(update_fields=[*changed, "updated_at"])
            summary.updated.append(row.sku)
    for row in rows:
        if row.initial_stock <= 0:
            continue
        if store.stream_version(f"inventory-{row.sku}") is not None:
            summary.stock_skipped.append(row.sku)
            continue
        try:
            dispatch(ReceiveStock(sku=row.sku, quantity=row.initial_stock), actor=ACTOR, store=store,
                     idempotency_key=f"catalogue-initial-stock:{row.sku}")
        except DomainError as error:
            raise CatalogueImportError([f"line {row.line}, column initial_stock: {error}"]) from error
        summary.stock_received[row.sku] = row.initial_stock
    return summary
