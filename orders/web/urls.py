"""Customer page routes: catalogue at /, signing up and in, the account page, and the signed-in customer's orders."""
from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from orders.web import notification_settings, views
from orders.web.account import deletion, email_change, page, passwords

app_name = "web"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten password: a link by email (Django's views; the same answer whether or not the address is known).
    path("accounts/password-reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", passwords.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", passwords.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", passwords.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The signed-in customer's account page and what it links to.
    path("account/", page.account, name="account"),
    path("account/password/", passwords.PasswordChangeView.as_view(), name="password_change"),
    path("account/email/", email_change.email_change, name="email_change"),
    path("account/email/confirm/<str:token>/", email_change.email_change_confirm, name="email_change_confirm"),
    path("account/notifications/", notification_settings.account_notifications, name="account-notifications"),
    path("account/delete/", deletion.account_delete, name="account-delete"),
    path("account/deleted/", deletion.account_deleted, name="account-deleted"),
    path("account/addresses/", views.account_addresses, name="account-addresses"),
    path("account/addresses/<int:address_id>/delete/", views.account_address_delete, name="account-address-delete"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel, name="order_cancel"),
]
