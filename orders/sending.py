"""How a page sends a command: dispatch it, catch what a person can be told, wait for the read model.

The customer pages and the staff back office both end a form post this way; each words the
outcome for its own readers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventlog.errors import ConcurrencyError, EventStoreUnavailableError
from orders.actors import actor_for
from orders.domain.commands import Command
from orders.domain.errors import DomainError
from orders.handlers import CommandResult, dispatch
from orders.reading import READ_WAIT_SECONDS
from projections.consistency import wait_for_read_models

__all__ = ["Sent", "send"]


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of a command: its result, or exactly one reason it was not done."""

    result: CommandResult | None = None
    refused: DomainError | None = None  # the domain said no (the error says why)
    conflict: ConcurrencyError | None = None  # the version the page showed has moved on
    unavailable: bool = False  # the event store cannot be reached; nothing was changed


def send(command: Command, *, user: Any, read_model: str | tuple[str, ...], expected_version: int | None = None,
         idempotency_key: str | None = None) -> Sent:
    """Dispatch as `user`; then wait briefly until `read_model` (one or several) shows it, so the next page does too.

    A conflict is only reported to a page that pinned `expected_version`; otherwise it propagates.
    """
    try:
        result = dispatch(command, actor=actor_for(user), expected_version=expected_version,
                          idempotency_key=idempotency_key)
    except ConcurrencyError as error:
        if expected_version is None:
            raise
        return Sent(conflict=error)
    except DomainError as error:
        return Sent(refused=error)
    except EventStoreUnavailableError:
        return Sent(unavailable=True)
    names = (read_model,) if isinstance(read_model, str) else read_model
    wait_for_read_models(result.commit_position, names=names, timeout=READ_WAIT_SECONDS)
    return Sent(result=result)
