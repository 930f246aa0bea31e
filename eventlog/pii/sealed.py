"""The sealed field format: one personal value encrypted under its subject's data key.

Stored in place of the value as `{"pii": 1, "key": "<key id>", "ct": "<base64 of nonce + ciphertext>"}`
(AES-GCM, a random 96-bit nonce). The associated data binds the ciphertext to its key id, to the
event type (or snapshot) it was written in and to its field path, so a sealed value moved to
another field, event or key id does not open.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
_NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class DataKey:
    """A subject's unwrapped data key (kept in memory only, for at most the keyring's cache time)."""

    key_id: UUID
    subject: str
    cipher: AESGCM
    key_text: str = ""  # str(key_id), made once: sealing writes it into every value

    @classmethod
    def of(cls, key_id: UUID, *, subject: str, raw: bytes) -> DataKey:
        """A data key from its unwrapped bytes."""
        return cls(key_id=key_id, subject=subject, cipher=AESGCM(raw), key_text=str(key_id))


class SealedValueError(ValueError):
    """A sealed value that is malformed, tampered with or moved: it does not open."""


def is_sealed(value: Any) -> bool:
    """Whether a stored value is a sealed one (plain legacy values are strings or None)."""
    return isinstance(value, dict) and value.get("pii") == FORMAT_VERSION and "key" in value and "ct" in value


def key_id_of(sealed: dict[str, Any]) -> UUID:
    """The id of the data key a sealed value needs; SealedValueError when it is not a key id."""
    try:
        return UUID(str(sealed["key"]))
    except ValueError:
        raise SealedValueError("the key id of a sealed value is malformed") from None


def seal(value: Any, *, key: DataKey, context: str, path: str) -> dict[str, Any]:
    """`value` (anything JSON can hold) encrypted under `key`, for field `path` of `context`."""
    nonce = os.urandom(_NONCE_BYTES)
    key_text = key.key_text or str(key.key_id)
    ciphertext = key.cipher.encrypt(nonce, json.dumps(value).encode(), _associated(key_text, context, path))
    return {"pii": FORMAT_VERSION, "key": key_text, "ct": base64.b64encode(nonce + ciphertext).decode()}


def open_sealed(sealed: dict[str, Any], *, key: DataKey, context: str, path: str) -> Any:
    """The value a sealed dict holds; SealedValueError when it does not open for this field."""
    try:
        blob = base64.b64decode(str(sealed["ct"]), validate=True)
        plain = key.cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:],
                                   _associated(key.key_text or str(key.key_id), context, path))
        return json.loads(plain.decode())
    except (binascii.Error, InvalidTag, ValueError) as error:
        raise SealedValueError(f"sealed {context}.{path} does not open ({type(error).__name__})") from None


def _associated(key_text: str, context: str, path: str) -> bytes:
    return f"ordersys-pii/{FORMAT_VERSION}\x00{key_text}\x00{context}\x00{path}".encode()
