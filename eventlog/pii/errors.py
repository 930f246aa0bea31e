"""Errors of personal-data encryption; each is an event-log error (a snapshot writer skips on any)."""
from __future__ import annotations

from eventlog.errors import EventLogError


class PersonalDataError(EventLogError):
    """Root of the errors raised when personal fields cannot be sealed."""


class SubjectErasedError(PersonalDataError):
    """The data subject was erased: the keyring never makes a key for them again."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"data subject {subject!r} was erased: nothing personal is written for them any more")


class KeyringUnavailableError(PersonalDataError):
    """Personal fields cannot be sealed right now (no or wrong master key, key table unreachable).

    Nothing is written in clear instead: the command fails and may be retried once the keyring is fixed.
    """


class MissingSubjectError(PersonalDataError):
    """An event with personal fields was encoded without saying whose data they are."""
