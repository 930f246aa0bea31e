"""Passwords: Django's auth views, with the shop's templates, mails and URLs; a bad form answers 400."""
from __future__ import annotations

from typing import Any

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponse
from django.urls import reverse_lazy

from orders.mail import send_now, templated_mail
from orders.web.account.mails import hours, mail_context


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
                                    "valid_hours": hours(settings.PASSWORD_RESET_TIMEOUT)}
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
