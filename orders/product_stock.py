"""Catalogue products joined with their stock from the inventory read model (one read for many)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orders.models import Product
from projections import selectors

__all__ = ["ProductStock", "levels_by_sku", "with_stock"]


@dataclass(frozen=True, slots=True)
class ProductStock:
    """A product and its stock level (None: no stock history yet)."""

    product: Product
    level: selectors.StockLevel | None

    @property
    def available(self) -> int:
        """Units that can be ordered now (0 without stock history; the domain keeps it from going negative)."""
        return max(0, self.level.available) if self.level is not None else 0

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit can be ordered."""
        return self.available > 0


def with_stock(products: Iterable[Product]) -> list[ProductStock]:
    """Each product with its stock level, in the given order; the inventory read model is read once."""
    levels = levels_by_sku()
    return [ProductStock(product, levels.get(product.sku)) for product in products]


def levels_by_sku() -> dict[str, selectors.StockLevel]:
    """Every stock level, by sku, in one read of the inventory read model."""
    return {level.sku: level for level in selectors.list_stock_levels()}
