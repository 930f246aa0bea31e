"""The shop's emails: one message from three templates (subject, text, HTML), through Django's email framework.

A mail named "mail/account/welcome" is `mail/account/welcome_subject.txt`, `mail/account/welcome.txt`
and `mail/account/welcome.html` (the naming Django's password reset uses); the bodies extend
`mail/base.txt` and `mail/base.html`. Sender and transport come from the settings (EMAIL_URL,
DEFAULT_FROM_EMAIL).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


def templated_mail(template: str, *, to: Sequence[str], context: Mapping[str, Any]) -> EmailMultiAlternatives:
    """The mail `template` rendered with `context`, addressed to `to`, with its text and HTML bodies."""
    data = dict(context)
    # A subject is one line: a header with a line break in it would be refused (or worse, split).
    subject = " ".join(render_to_string(f"{template}_subject.txt", data).split())
    message = EmailMultiAlternatives(subject, render_to_string(f"{template}.txt", data), to=list(to))
    message.attach_alternative(render_to_string(f"{template}.html", data), "text/html")
    return message


def send_now(message: EmailMultiAlternatives, *, what: str) -> bool:
    """Send `message`; a failing mail server is logged and answered False, never raised into a page."""
    try:
        message.send()
    except Exception:  # smtplib, socket and TLS errors alike: the page goes on and says so if it matters
        log.exception("could not send the %s mail", what)
        return False
    return True
