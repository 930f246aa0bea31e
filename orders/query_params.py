"""Validated query parameters of pages: one place that turns hostile input into a clear 400, never a 500."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import overload

# Positions and versions are unsigned 64-bit in EventStoreDB, but Redis scores, SQLite and Python
# code downstream take signed 64-bit integers: larger numbers cannot name anything that exists.
MAX_INT = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() would also accept "²" or "١٢"


class BadParameterError(ValueError):
    """A query parameter that cannot be used; the page answers 400 with this message."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"The parameter '{name}' {problem}.")


@overload
def int_param(params: Mapping[str, str], name: str, *, default: int, min_value: int = 0,
              max_value: int = MAX_INT) -> int: ...
@overload
def int_param(params: Mapping[str, str], name: str, *, default: None = None, min_value: int = 0,
              max_value: int = MAX_INT) -> int | None: ...
def int_param(params: Mapping[str, str], name: str, *, default: int | None = None, min_value: int = 0,
              max_value: int = MAX_INT) -> int | None:
    """A whole number from `min_value` to `max_value`, or `default` when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw) or not min_value <= int(raw) <= max_value:
        raise BadParameterError(name, f"must be a whole number from {min_value} to {max_value}")
    return int(raw)


def text_param(params: Mapping[str, str], name: str, *, max_length: int = 200, default: str = "") -> str:
    """Printable text of bounded length (stripped), or `default` when absent."""
    raw = params.get(name)
    if raw is None:
        return default
    if len(raw) > max_length:
        raise BadParameterError(name, f"must be at most {max_length} characters long")
    if not raw.isprintable():
        raise BadParameterError(name, "must not contain control characters")
    return raw.strip()


def choice_param(params: Mapping[str, str], name: str, choices: tuple[str, ...], *, default: str = "") -> str:
    """One of `choices` (or `default` when absent or empty)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadParameterError(name, f"must be one of {', '.join(choices)}")
    return raw
