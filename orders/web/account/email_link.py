"""The link that confirms a new email address: signed, expiring, and bound to the account as it was.

The token (django.core.signing) carries the user's id, the new address and a fingerprint of the
account's current email and password hash. The link therefore stops working once the email or the
password changed (so it cannot be replayed after another change, or after a password reset that
locked an intruder out), after EMAIL_CHANGE_TIMEOUT seconds, or when anything in it was altered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "orders.web.email_change"


class EmailChangeLinkError(Exception):
    """The link cannot change anything; the message says why, for the person who followed it."""


class LinkExpiredError(EmailChangeLinkError):
    """The link was right but is older than EMAIL_CHANGE_TIMEOUT."""


@dataclass(frozen=True)
class EmailChange:
    """A confirmed request: change `user`'s email to `new_email`."""

    user: Any  # the active user model
    new_email: str


def make_token(user: AbstractBaseUser, *, new_email: str) -> str:
    """A token for the link sent to `new_email`, valid for this user's current email and password only."""
    return signing.dumps({"user": str(user.pk), "to": new_email, "state": _fingerprint(user)}, salt=SALT)


def read_token(token: str) -> EmailChange:
    """The change the token confirms, or EmailChangeLinkError (expired, altered, or the account changed since)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.EMAIL_CHANGE_TIMEOUT)
    except signing.SignatureExpired as error:
        raise LinkExpiredError("This link has expired. Ask for a new one on your account page.") from error
    except signing.BadSignature as error:
        raise EmailChangeLinkError("This link is not valid. Check that it was copied whole.") from error
    user = get_user_model().objects.filter(pk=payload.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(_fingerprint(user), str(payload.get("state", ""))):
        raise EmailChangeLinkError("This link is no longer valid: the account's email or password changed "
                                   "after it was sent. Ask for a new one on your account page.")
    return EmailChange(user=user, new_email=str(payload["to"]))


def _fingerprint(user: AbstractBaseUser) -> str:
    # The email is compared without case, as addresses are everywhere else in the shop.
    email = str(getattr(user, user.get_email_field_name(), "") or "").lower()
    return salted_hmac(SALT, f"{user.pk}\x00{email}\x00{user.password}", algorithm="sha256").hexdigest()[:32]
