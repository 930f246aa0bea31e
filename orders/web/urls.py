"""Customer page routes: catalogue at /, accounts, and the signed-in customer's orders."""
from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from orders.web import views

app_name = "web"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/addresses/", views.account_addresses, name="account-addresses"),
    path("account/addresses/<int:address_id>/delete/", views.account_address_delete, name="account-address-delete"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel, name="order_cancel"),
]
