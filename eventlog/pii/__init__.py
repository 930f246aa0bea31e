"""Personal data in events, encrypted per data subject; erasing a subject destroys their key (crypto-shredding).

Events declare `PERSONAL_FIELDS` (dotted payload paths); the registry seals them on encode under the
subject's data key and opens them on decode. A value whose key was destroyed reads as ERASED, one
that cannot be opened now (no or wrong master key, unknown key, damaged value) as UNAVAILABLE.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from eventlog.pii.errors import KeyringUnavailableError, MissingSubjectError, PersonalDataError, SubjectErasedError
from eventlog.pii.keys import Keyring, KeyringHealth, RotationResult
from eventlog.pii.paths import holds, open_paths, seal_paths
from eventlog.pii.placeholders import ERASED, UNAVAILABLE

__all__ = [
    "ERASED",
    "UNAVAILABLE",
    "Keyring",
    "KeyringHealth",
    "KeyringUnavailableError",
    "MissingSubjectError",
    "PersonalDataError",
    "RotationResult",
    "SubjectErasedError",
    "keyring",
    "open_fields",
    "partly_unavailable",
    "seal_fields",
    "use_keyring",
]

_installed: list[Keyring] = []


def keyring() -> Keyring:
    """The process's keyring (keys in the Django database), or the one a test installed with `use_keyring`."""
    if _installed:
        return _installed[-1]
    from eventlog.pii.default import process_keyring

    return process_keyring.get()


@contextmanager
def use_keyring(replacement: Keyring) -> Iterator[Keyring]:
    """For tests and tools: hand out `replacement` in this process until the block ends."""
    _installed.append(replacement)
    try:
        yield replacement
    finally:
        _installed.remove(replacement)


def seal_fields(payload: dict[str, Any], paths: Iterable[str], *, subject: str | None,
                context: str) -> dict[str, Any]:
    """A copy of a JSON payload with the values at `paths` sealed under `subject`'s key (never in clear)."""
    if not subject:
        raise MissingSubjectError(f"{context} carries personal fields: sealing them needs the data subject")
    return seal_paths(payload, paths, subject=subject, context=context, keys=keyring())


def open_fields(payload: dict[str, Any], paths: Iterable[str], *, context: str) -> dict[str, Any]:
    """The payload with the sealed values at `paths` opened in place (placeholders where they cannot be)."""
    return open_paths(payload, paths, context=context, keys=keyring())


def partly_unavailable(payload: dict[str, Any], paths: Iterable[str]) -> bool:
    """Whether a value at `paths` reads as UNAVAILABLE (such state must not be cached or written back)."""
    return holds(payload, paths, UNAVAILABLE)
