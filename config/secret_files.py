"""Secrets from files: NAME_FILE names a file whose content becomes NAME (Docker and Kubernetes secrets)."""
from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from pathlib import Path


class SecretFileError(RuntimeError):
    """A NAME_FILE variable is set together with NAME, or names a file that cannot be read."""


def read_secret_files(environ: MutableMapping[str, str], *, names: Iterable[str]) -> None:
    """Set each NAME from the file NAME_FILE names (trailing newline stripped), when NAME_FILE is set."""
    for name in names:
        path = environ.get(f"{name}_FILE")
        if not path:
            continue
        # Two sources for one secret hide which one is in force: refuse rather than guess.
        if environ.get(name):
            raise SecretFileError(f"both {name} and {name}_FILE are set; set only one")
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise SecretFileError(f"{name}_FILE={path!r} cannot be read: {error.strerror or error}") from None
        if not value:
            raise SecretFileError(f"{name}_FILE={path!r} is empty")
        environ[name] = value
