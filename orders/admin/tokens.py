"""API tokens in the admin: staff see who holds which token (by its prefix, never the token) and revoke them."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from knox.models import AuthToken


class AuthTokenAdmin(admin.ModelAdmin):
    """List, search and delete (revoke) tokens; tokens are made by logging in, not here."""

    list_display = ["token_prefix", "user", "created", "expiry"]
    list_filter = ["expiry"]
    search_fields = ["token_key", "user__username"]
    list_select_related = ["user"]
    fields = readonly_fields = ("token_prefix", "user", "created", "expiry")
    ordering = ["-created"]

    @admin.display(description="token prefix", ordering="token_key")
    def token_prefix(self, obj: AuthToken) -> str:
        # The first characters (knox's lookup key) tell tokens apart; the rest is never stored.
        return f"{obj.token_key[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthToken | None = None) -> bool:
        return False


def register(site: admin.AdminSite) -> None:
    """Replace knox's own admin, which lists token digests, with this one."""
    if site.is_registered(AuthToken):
        site.unregister(AuthToken)
    site.register(AuthToken, AuthTokenAdmin)


# knox's admin module registered its own AuthTokenAdmin first (knox precedes orders in INSTALLED_APPS).
register(admin.site)
