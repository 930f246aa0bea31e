"""Changing the email address: a signed link goes to the new address; the change happens when it is confirmed."""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from orders.mail import send_now, templated_mail
from orders.web.account import email_link
from orders.web.account.forms import EmailChangeForm, email_in_use
from orders.web.account.mails import hours, mail_context

log = logging.getLogger(__name__)


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
            token = email_link.make_token(user, new_email=new_email)
            link = request.build_absolute_uri(reverse("web:email_change_confirm", kwargs={"token": token}))
            mail = templated_mail("mail/account/email_change_confirm", to=[new_email], context={
                **mail_context(request), "user": user, "new_email": new_email, "link": link,
                "valid_hours": hours(settings.EMAIL_CHANGE_TIMEOUT)})
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
        change = email_link.read_token(token)
    except email_link.EmailChangeLinkError as error:
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
