"""The master key that wraps every data key: one small interface, a local implementation from settings.

A KMS later implements `MasterKey` too. The local one wraps with AES-GCM under `PII_MASTER_KEY`
(base64 of 32 random bytes); `PII_PREVIOUS_MASTER_KEYS` (comma-separated) stay readable during a
rotation. Every wrapped key records the fingerprint of the master key that wrapped it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eventlog.pii.errors import KeyringUnavailableError

MASTER_KEY_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class Wrapped:
    """A data key wrapped by a master key, and that master key's fingerprint."""

    blob: bytes
    fingerprint: str


class MasterKey(Protocol):
    """Wraps and unwraps data keys; never hands out the master key itself."""

    @property
    def current_fingerprint(self) -> str | None:
        """The fingerprint new keys are wrapped under (None: no master key configured)."""

    @property
    def known_fingerprints(self) -> frozenset[str]:
        """Fingerprints of every master key this process can unwrap with (current and previous)."""

    def wrap(self, data_key: bytes, *, key_id: UUID) -> Wrapped:
        """Wrap under the current master key; KeyringUnavailableError without one."""

    def unwrap(self, wrapped: Wrapped, *, key_id: UUID) -> bytes:
        """The data key; KeyringUnavailableError when no known master key opens it."""


def fingerprint(master_key: bytes) -> str:
    """A short public name of a master key (a hash: it reveals nothing of the key)."""
    return hashlib.sha256(b"ordersys-pii-master-key\x00" + master_key).hexdigest()[:16]


def parse_master_key(text: str, *, name: str = "PII_MASTER_KEY") -> bytes:
    """32 bytes from their base64; a ValueError naming the setting when it is not that."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ValueError(f"{name} must be base64 of {MASTER_KEY_BYTES} bytes, not {len(key)}")
    return key


def new_master_key() -> str:
    """A fresh master key, as the setting holds it."""
    return base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode()


class LocalMasterKey:
    """AES-GCM key wrap under keys held in this process's settings."""

    def __init__(self, current: bytes | None, *, previous: Iterable[bytes] = (), problem: str = "") -> None:
        self._current = current
        self._ciphers = {fingerprint(key): AESGCM(key) for key in (*previous, *([current] if current else []))}
        self.problem = problem  # why there is no usable current key, for the health check

    @classmethod
    def from_text(cls, current: str, *, previous: str = "") -> LocalMasterKey:
        """From the settings' text; a missing or malformed key gives a master key that refuses to work."""
        older: list[bytes] = []
        problems: list[str] = []
        for index, part in enumerate(p for p in previous.split(",") if p.strip()):
            try:
                older.append(parse_master_key(part, name=f"PII_PREVIOUS_MASTER_KEYS[{index}]"))
            except ValueError as error:
                problems.append(str(error))
        key: bytes | None = None
        if not current.strip():
            problems.insert(0, "PII_MASTER_KEY is not set")
        else:
            try:
                key = parse_master_key(current)
            except ValueError as error:
                problems.insert(0, str(error))
        return cls(key, previous=older, problem="; ".join(problems))

    @property
    def current_fingerprint(self) -> str | None:
        return fingerprint(self._current) if self._current else None

    @property
    def known_fingerprints(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    def wrap(self, data_key: bytes, *, key_id: UUID) -> Wrapped:
        current = self.current_fingerprint
        if current is None:
            raise KeyringUnavailableError(f"personal data cannot be encrypted: {self.problem or 'no master key'}")
        nonce = os.urandom(_NONCE_BYTES)
        return Wrapped(nonce + self._ciphers[current].encrypt(nonce, data_key, _associated(key_id)), current)

    def unwrap(self, wrapped: Wrapped, *, key_id: UUID) -> bytes:
        cipher = self._ciphers.get(wrapped.fingerprint)
        if cipher is None:
            raise KeyringUnavailableError(f"data key {key_id} was wrapped by master key {wrapped.fingerprint}, "
                                          "which is not configured")
        try:
            return cipher.decrypt(wrapped.blob[:_NONCE_BYTES], wrapped.blob[_NONCE_BYTES:], _associated(key_id))
        except InvalidTag:
            raise KeyringUnavailableError(f"data key {key_id} does not open under master key "
                                          f"{wrapped.fingerprint}") from None


def _associated(key_id: UUID) -> bytes:
    # Binds a wrapped key to its row: a wrapped key copied onto another key id does not open.
    return b"ordersys-pii-data-key\x00" + key_id.bytes
