"""Deleting one's own account (GDPR article 17): the password once more, then erasure, sign-out and goodbye."""
from __future__ import annotations

import contextlib

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orders.actors import actor_for
from orders.domain.errors import CustomerAlreadyErasedError
from orders.privacy.erasure import erase_customer
from orders.web.account.forms import AccountDeleteForm


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Explain what is erased and what the shop keeps; on POST with the right password, erase and sign out."""
    user = request.user
    assert user.is_authenticated  # login_required
    if user.is_staff or user.is_superuser:
        # Staff accounts hold rights, not orders: an administrator closes them in the user admin.
        return render(request, "web/account/delete.html", {"staff": True}, status=403)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "GET" or not form.is_valid():
        return render(request, "web/account/delete.html", {"form": form}, status=400 if form.errors else 200)
    # Erased already (and applied again just now, by erase_customer): the goodbye is the same.
    with contextlib.suppress(CustomerAlreadyErasedError):
        erase_customer(str(user.pk), actor=actor_for(user))
    logout(request)
    return redirect("web:account-deleted")


def account_deleted(request: HttpRequest) -> HttpResponse:
    """The goodbye page after deleting an account (signed out by then)."""
    return render(request, "web/account/deleted.html")
