"""Sealing and opening the personal fields of a JSON payload, found by dotted paths ("shipping_address.line1").

A path whose value is absent or None is left alone (nothing personal to hide). Opening never raises:
a value that cannot be opened reads as a placeholder, and a plain (legacy) value is returned as is.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from eventlog.pii.errors import KeyringUnavailableError, SubjectErasedError
from eventlog.pii.placeholders import ERASED, UNAVAILABLE
from eventlog.pii.sealed import DataKey, SealedValueError, is_sealed, key_id_of, open_sealed, seal

log = logging.getLogger(__name__)


class KeySource(Protocol):
    """What sealing and opening need of a keyring."""

    def sealing_key(self, subject: str) -> DataKey:
        """The subject's data key, made on first use; SubjectErasedError / KeyringUnavailableError."""

    def opening_key(self, key_id: UUID) -> DataKey | str:
        """The data key with this id, or the placeholder its values read as (ERASED, UNAVAILABLE)."""


def seal_paths(payload: dict[str, Any], paths: Iterable[str], *, subject: str, context: str,
               keys: KeySource) -> dict[str, Any]:
    """A copy of `payload` with the value at each path sealed under the subject's key.

    For an erased subject the values are replaced by ERASED: what they said is dropped, never stored.
    """
    sealed = dict(payload)
    key: DataKey | None = None
    erased = False
    for path in paths:
        parent, name = _parent(sealed, path, copy=True)
        if parent is None or parent.get(name) is None or is_sealed(parent[name]):
            continue
        if parent[name] == UNAVAILABLE:
            # Read where its key could not be opened: writing it back would replace the real value for good.
            raise KeyringUnavailableError(f"{context}.{path} holds {UNAVAILABLE} (read without its key): not written")
        if key is None and not erased:
            try:
                key = keys.sealing_key(subject)
            except SubjectErasedError:
                erased = True
        parent[name] = ERASED if key is None else seal(parent[name], key=key, context=context, path=path)
    return sealed


def open_paths(payload: dict[str, Any], paths: Iterable[str], *, context: str, keys: KeySource) -> dict[str, Any]:
    """`payload` with the sealed value at each path opened (in place; the payload is the caller's own copy)."""
    found: dict[str, DataKey | str] = {}  # the fields of one payload are (nearly) always under one key
    for path in paths:
        parent, name = _parent(payload, path, copy=False)
        if parent is not None and is_sealed(parent.get(name)):
            parent[name] = _open(parent[name], context=context, path=path, keys=keys, found=found)
    return payload


def _open(value: dict[str, Any], *, context: str, path: str, keys: KeySource, found: dict[str, DataKey | str]) -> Any:
    try:
        key = found.get(value["key"])
        if key is None:
            key = found[value["key"]] = keys.opening_key(key_id_of(value))
        if isinstance(key, str):
            return key
        return open_sealed(value, key=key, context=context, path=path)
    except SealedValueError as error:
        # Damaged, tampered with or moved: shown as unavailable; the log names the place, never a value.
        log.warning("personal field does not open: %s", error)
        return UNAVAILABLE


def _parent(payload: dict[str, Any], path: str, *, copy: bool) -> tuple[dict[str, Any] | None, str]:
    """The dict holding the last part of `path` (copied on the way down when `copy`), and that part."""
    *parents, name = path.split(".")
    node = payload
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            return None, name
        if copy:
            child = node[part] = dict(child)
        node = child
    return node, name


def holds(payload: dict[str, Any], paths: Iterable[str], value: str) -> bool:
    """Whether any of the paths holds `value` (a placeholder), e.g. state read while a key was unavailable."""
    for path in paths:
        parent, name = _parent(payload, path, copy=False)
        if parent is not None and parent.get(name) == value:
            return True
    return False
