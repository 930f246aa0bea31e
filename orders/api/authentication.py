"""API token authentication without a database query per request, revocation still immediate.

knox verifies a token by a SHA-512 digest and two queries (the token with its user, and the user's
other tokens to clean up expired ones). `CachedTokenAuthentication` keeps what knox verified (the
user, with its permissions loaded, and the token row) in Redis under the token's digest, for at
most `TOKEN_CACHE_SECONDS` and never past the token's expiry. Only a token that hashes to that
digest finds the entry, so the cache cannot vouch for a wrong token.

Revocation is immediate, in every process, because Redis is the one cache they share and every
change that could refuse a token clears it before the change returns:
- deleting a token (logout, "revoke all", the admin, knox's expiry clean-up) deletes its entry;
- any change to a user, a group or a permission (deactivation, a role taken away) moves the
  generation every entry is stamped with, so all entries are stale at once (such changes are rare).
A request reads the generation and the entry in one round trip (MGET).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken

from eventlog.outages import REDIS_UNREACHABLE

log = logging.getLogger(__name__)

TOKEN_CACHE_SECONDS = 60  # how long a verified token is trusted without asking the database again
CACHE_ALIAS = "default"  # the Redis every process shares (a per-process cache could not revoke at once)
GENERATION_KEY = "auth:token-cache:generation"


def _entry_key(digest: str) -> str:
    return f"auth:token:{digest}"


class CachedTokenAuthentication(TokenAuthentication):
    """knox's token authentication, remembered in Redis per token digest (see the module docstring)."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        try:
            digest = hash_token(token.decode("utf-8"))
        except (TypeError, ValueError, UnicodeDecodeError):
            return super().authenticate_credentials(token)  # knox words the refusal
        cache = caches[CACHE_ALIAS]
        found = cache.get_many([GENERATION_KEY, _entry_key(digest)])
        generation = found.get(GENERATION_KEY, 0)
        entry = found.get(_entry_key(digest))
        if entry is not None and entry["generation"] == generation and entry["expiry"] > datetime.now(UTC):
            return entry["user"], entry["token"]
        user, auth_token = super().authenticate_credentials(token)
        _remember(digest, user, auth_token, generation=generation)
        return user, auth_token


def _remember(digest: str, user: Any, auth_token: AuthToken, *, generation: int) -> None:
    now = datetime.now(UTC)
    expiry = auth_token.expiry or datetime.max.replace(tzinfo=UTC)
    seconds = min(TOKEN_CACHE_SECONDS, (expiry - now).total_seconds())
    if seconds < 1:
        return
    user.get_all_permissions()  # loaded now, so permission checks of a cached user need no query either
    caches[CACHE_ALIAS].set(_entry_key(digest), {"generation": generation, "expiry": expiry, "user": user,
                                                 "token": auth_token}, timeout=int(seconds))


def forget_token(sender: Any, instance: AuthToken, **kwargs: Any) -> None:
    """A token was deleted (logout, revoke, expiry): no process may accept it from the cache again."""
    with _unless_redis_is_down("a deleted token"):
        caches[CACHE_ALIAS].delete(_entry_key(instance.digest))


def forget_all(sender: Any, **kwargs: Any) -> None:
    """A user, group or permission changed: every cached token is re-verified on its next request."""
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # every login saves this; it refuses nothing
    with _unless_redis_is_down("a user, group or permission change"):
        cache = caches[CACHE_ALIAS]
        if not cache.add(GENERATION_KEY, 1, timeout=None):
            cache.incr(GENERATION_KEY)


@contextmanager
def _unless_redis_is_down(change: str) -> Iterator[None]:
    # The change itself is in the database and must not fail for the cache's sake. While Redis cannot
    # be reached no request is authenticated from it either; entries written before the outage expire
    # within TOKEN_CACHE_SECONDS, which bounds how long this change could go unseen after a blip.
    try:
        yield
    except REDIS_UNREACHABLE:
        log.error("could not clear the API token cache after %s: Redis unreachable; cached tokens expire "
                  "within %s s", change, TOKEN_CACHE_SECONDS)


def connect() -> None:
    """Clear the cache on every change that could refuse a token (called from OrdersConfig.ready)."""
    post_delete.connect(forget_token, sender=AuthToken, dispatch_uid="orders.api.authentication.token")
    user_model = get_user_model()
    for model in (user_model, Group, Permission):
        post_save.connect(forget_all, sender=model, dispatch_uid=f"orders.api.authentication.save.{model.__name__}")
        post_delete.connect(forget_all, sender=model,
                            dispatch_uid=f"orders.api.authentication.delete.{model.__name__}")
    for relation in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget_all, sender=relation, dispatch_uid=f"orders.api.authentication.m2m.{relation}")
