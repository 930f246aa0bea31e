"""The customer's notification setting: one checkbox, order emails on or off."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orders.notifications.recipients import set_order_emails, wants_order_emails
from orders.web.forms import NotificationSettingsForm


@login_required
@require_http_methods(["GET", "POST"])
def account_notifications(request: HttpRequest) -> HttpResponse:
    """Show and change whether the signed-in customer gets order emails."""
    user_id = request.user.pk
    assert isinstance(user_id, int)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            enabled = form.cleaned_data["order_emails"]
            set_order_emails(user_id, enabled=enabled)
            messages.success(request, "Order emails are on." if enabled else "Order emails are off.")
            return redirect("web:account-notifications")
    else:
        form = NotificationSettingsForm(initial={"order_emails": wants_order_emails(user_id)})
    return render(request, "web/account_notifications.html", {"form": form})
