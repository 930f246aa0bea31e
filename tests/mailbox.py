"""What Django's file mail backend wrote (EMAIL_URL=filemail://), for tests whose mail is sent by another process."""
from __future__ import annotations

import email
from email.message import Message
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message


def file_mailbox(directory: Path) -> list[Message]:
    """Every message written to `directory` so far, oldest file first."""
    found = []
    for path in sorted(directory.glob("*.log")) if directory.exists() else []:
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                found.append(email.message_from_bytes(raw))
    return found


def plain_text(message: Message) -> str:
    """The message's text/plain body, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""
