"""The account a customer runs themselves: the account page, password change and reset, email change.

Passwords go through Django's auth views (configured here: our templates, our mails, our URLs);
the email change is ours: a signed link to the new address (orders/web/email_change_link.py).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from orders.mail import send_now, templated_mail
from orders.web import email_change_link
from orders.web.account_forms import EmailChangeForm, email_in_use

log = logging.getLogger(__name__)
SHOP_NAME = "ordersys shop"


# -- the account page ------------------------------------------------------------------------------


def _no_context(request: HttpRequest) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class AccountSection:
    """One section of the account page: a template, and what it needs to know (as `section` in it)."""

    template: str
    context: Callable[[HttpRequest], Mapping[str, Any]] = _no_context


# The account page, top to bottom: a new section is one entry here and one small template.
SECTIONS: tuple[AccountSection, ...] = (
    AccountSection("web/account/section_details.html"),
    AccountSection("web/account/section_password.html"),
)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's account: who they are, and links to everything they can change."""
    sections = [(section.template, section.context(request)) for section in SECTIONS]
    return render(request, "web/account/index.html", {"sections": sections})


# -- passwords: Django's views --------------------------------------------------------------------


class _BadRequestOnInvalidForm:
    """A form sent back with errors answers 400, as the shop's other forms do."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class PasswordChangeView(_BadRequestOnInvalidForm, SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change the password (the current one first); the session stays signed in, a notice goes out."""

    template_name = "web/account/password_change.html"
    success_url = reverse_lazy("web:account")
    success_message = "Your password was changed."

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        if user.email:
            send_now(templated_mail("mail/account/password_changed", to=[user.email],
                                    context={**mail_context(self.request), "user": user}),
                     what="password changed")
        return response


class PasswordResetView(_BadRequestOnInvalidForm, auth_views.PasswordResetView):
    """Ask for a reset link by email; the answer is the same whether or not an account has that email."""

    template_name = "registration/password_reset_form.html"
    subject_template_name = "mail/account/password_reset_subject.txt"
    email_template_name = "mail/account/password_reset.txt"
    html_email_template_name = "mail/account/password_reset.html"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # Django's PasswordResetForm sends the mail (and logs, never raises, when the server fails).
        self.extra_email_context = {**mail_context(self.request),
                                    "valid_hours": _hours(settings.PASSWORD_RESET_TIMEOUT)}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    """"Check your mailbox", for any address typed in."""

    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(_BadRequestOnInvalidForm, auth_views.PasswordResetConfirmView):
    """Set a new password from the link; then the customer logs in with it (through the lockout, as always)."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever reset it reads the account's mailbox: the failed logins on this username (someone guessing
        # the old password) are forgotten, so its lockout is lifted. Failures on other usernames still count.
        reset_lockout(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    """The new password is set: log in with it."""

    template_name = "registration/password_reset_complete.html"


# -- the email address ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask to change the email: a confirmation link goes to the new address; nothing changes until it is opened."""
    user = request.user
    assert user.is_authenticated  # login_required
    form = EmailChangeForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            new_email = form.cleaned_data["new_email"]
            token = email_change_link.make_token(user, new_email=new_email)
            link = request.build_absolute_uri(reverse("web:email_change_confirm", kwargs={"token": token}))
            mail = templated_mail("mail/account/email_change_confirm", to=[new_email], context={
                **mail_context(request), "user": user, "new_email": new_email, "link": link,
                "valid_hours": _hours(settings.EMAIL_CHANGE_TIMEOUT)})
            if send_now(mail, what="email change confirmation"):
                messages.success(request, f"We sent a link to {new_email}. Open it to confirm the change; "
                                          f"until then your email stays {user.email or 'unset'}.")
                return redirect("web:account")
            form.add_error(None, "We could not send the email just now; nothing was changed. "
                                 "Please try again in a few minutes.")
            status = 503
    return render(request, "web/account/email_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the mail: shows the change, and makes it on POST (a mail scanner's GET changes nothing)."""
    try:
        change = email_change_link.read_token(token)
    except email_change_link.EmailChangeLinkError as error:
        return render(request, "web/account/email_change_invalid.html", {"reason": str(error)}, status=400)
    if email_in_use(change.new_email, by_other_than=change.user):
        return render(request, "web/account/email_change_invalid.html", {
            "reason": f"Another account started using {change.new_email} after this link was sent, "
                      "so it cannot be yours too."}, status=400)
    if request.method == "GET":
        return render(request, "web/account/email_change_confirm.html", {"change": change})
    user = change.user
    old_email = user.email
    user.email = change.new_email
    user.save(update_fields=["email"])
    log.info("email of user %s changed by a confirmed link", user.pk)
    if old_email:
        send_now(templated_mail("mail/account/email_changed", to=[old_email], context={
            **mail_context(request), "user": user, "new_email": change.new_email}), what="email changed notice")
    messages.success(request, f"Your email address is now {change.new_email}.")
    return redirect("web:account")


# -- mail ------------------------------------------------------------------------------------------


def mail_context(request: HttpRequest) -> dict[str, Any]:
    """What every account mail shows: the shop's name and absolute links back to it."""
    return {"shop_name": SHOP_NAME, "shop_url": request.build_absolute_uri(reverse("web:catalogue")),
            "account_url": request.build_absolute_uri(reverse("web:account")),
            "password_reset_url": request.build_absolute_uri(reverse("web:password_reset"))}


def send_welcome(request: HttpRequest, user: Any) -> bool:
    """The welcome mail of a new account (a failing mail server does not undo the sign-up)."""
    return send_now(templated_mail("mail/account/welcome", to=[user.email], context={
        **mail_context(request), "user": user,
        "orders_url": request.build_absolute_uri(reverse("web:order_list"))}), what="welcome")


def _hours(seconds: int) -> int:
    return max(1, round(seconds / 3600))
