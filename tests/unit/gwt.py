"""Given / when / then for aggregates: given past events, when a command, then new events or an error.

    given(Order, ORDER_ID, *history("PAID")).when(CancelOrder(...), actor=CUSTOMER).then(OrderCancelled(...))
    given(Inventory, "MUG-1").when(ReserveStock(...), actor=SYSTEM).then_raises(InsufficientStockError)

Commands go through the domain's command map (`route_for`), exactly like the handlers do.
Every outcome is also checked for the two promises of event sourcing: a refused command
leaves no events and no state change, and the live state equals a replay of all events.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from orders.domain.aggregate import Aggregate
from orders.domain.commands import Command
from orders.domain.errors import DomainError
from orders.domain.events import DomainEvent
from orders.domain.routes import route_for
from orders.domain.values import Actor


def given(aggregate_cls: type[Aggregate[Any]], aggregate_id: Any, *events: DomainEvent) -> Scenario:
    """Start a scenario from an aggregate's past events (none: a new aggregate)."""
    return Scenario(aggregate_cls, aggregate_id, tuple(events))


@dataclass(frozen=True)
class Scenario:
    """An aggregate type and id with its history."""

    aggregate_cls: type[Aggregate[Any]]
    aggregate_id: Any
    history: tuple[DomainEvent, ...]

    def aggregate(self) -> Aggregate[Any]:
        """The aggregate rebuilt from the history."""
        return self.aggregate_cls.replay(self.aggregate_id, self.history)

    def when(self, command: Command, *, actor: Actor, **context: Any) -> Outcome:
        """Send a command through its route and capture what happened."""
        route = route_for(command)
        assert route.aggregate is self.aggregate_cls, f"{type(command).__name__} goes to {route.aggregate}"
        aggregate = self.aggregate()
        before = aggregate.snapshot()
        try:
            result = route.execute(command, aggregate=aggregate, actor=actor, **context)
        except DomainError as error:
            return Outcome(self, aggregate, before, error=error)
        return Outcome(self, result, before, error=None)


@dataclass(frozen=True)
class Outcome:
    """What a command did: an aggregate with pending events, or a domain error."""

    scenario: Scenario
    aggregate: Aggregate[Any]
    state_before: dict[str, Any]
    error: DomainError | None

    def then(self, *expected: DomainEvent) -> Aggregate[Any]:
        """Assert the command recorded exactly `expected` (none: a no-op); returns the aggregate."""
        if self.error is not None:
            pytest.fail(f"expected events {expected}, got {type(self.error).__name__}: {self.error}")
        assert self.aggregate.pending_events == expected
        assert self.aggregate.expected_version == len(self.scenario.history) - 1
        assert self.aggregate.version == len(self.scenario.history) + len(expected) - 1
        replayed = self.scenario.aggregate_cls.replay(self.aggregate.id, (*self.scenario.history, *expected))
        assert replayed.snapshot() == self.aggregate.snapshot(), "live state differs from replayed state"
        assert replayed.version == self.aggregate.version
        return self.aggregate

    def then_nothing(self) -> Aggregate[Any]:
        """Assert the command was accepted and changed nothing (an idempotent no-op)."""
        aggregate = self.then()
        assert aggregate.snapshot() == self.state_before
        return aggregate

    def then_raises(self, error_type: type[DomainError], match: str | None = None) -> DomainError:
        """Assert the command was refused with `error_type` and left no trace; returns the error."""
        if self.error is None:
            pytest.fail(f"expected {error_type.__name__}, got events {self.aggregate.pending_events}")
        assert isinstance(self.error, error_type), f"expected {error_type.__name__}, got {self.error!r}"
        if match is not None:
            assert re.search(match, str(self.error)), f"{str(self.error)!r} does not match {match!r}"
        assert self.aggregate.pending_events == ()
        assert self.aggregate.snapshot() == self.state_before, "a refused command changed state"
        assert self.aggregate.version == len(self.scenario.history) - 1
        return self.error
