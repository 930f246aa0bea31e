"""Who may do what, for every URL the project serves: pages, admin pages and actions, API, probes.

The URLs come from the URL configuration itself (`get_resolver()`, with the admin's and the API
router's), so a new URL without a rule here fails `test_every_url_has_a_rule`. Each rule lists
the status every caller gets: anonymous, customer A (who owns the order), customer B, staff
without any permission, the three roles and a superuser. "login" means a redirect to a login page.

One order (placed by A, paid) and one product serve the whole module. Callers who are refused
send a request that would change something if it were let through, and the order's and the
stock's streams must not move; callers who are allowed send one the domain refuses or a stale
version (`inert`), so every caller meets the same state.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
import redis
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from eventlog import connections
from eventlog.subscriptions import keys
from eventlog.subscriptions.dead_letters import DeadLetter, Failure
from orders import roles
from orders.addressbook import book
from orders.addressbook.models import SavedAddress
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import AddOrderNote, CreateOrder, PayOrder, ReceiveStock, RequestedLine
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from projections import console
from tests.conftest import ensure_role_groups, start_subscribers_at_head
from tests.factories import project_everything

ANON, A, B, STAFF, SUPPORT, WAREHOUSE, OPS, SUPER = (
    "anonymous", "customer_a", "customer_b", "staff_no_perms", "support", "warehouse", "operations", "superuser")
CALLERS = (ANON, A, B, STAFF, SUPPORT, WAREHOUSE, OPS, SUPER)
STAFF_CALLERS = (STAFF, SUPPORT, WAREHOUSE, OPS, SUPER)
LOGIN = "login"  # a redirect to a login page
REFUSALS = {LOGIN, 401, 403, 404, 405}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The roles as README "Security / Roles" promises them (the data migration must agree: see test_roles.py).
HOLDS = {
    STAFF: set(),
    SUPPORT: {roles.VIEW_ORDERS, roles.ADD_ORDER_NOTE, roles.CANCEL_ORDERS, roles.MANAGE_CUSTOMER_DATA},
    WAREHOUSE: {roles.VIEW_ORDERS, roles.SHIP_ORDERS, roles.MANAGE_STOCK},
    OPS: set(roles.STAFF_PERMISSIONS) | {"orders.view_product", "orders.add_product", "orders.change_product",
                                         "orders.delete_product", "token.view", "token.delete", "lockout.view",
                                         "lockout.delete"},
    SUPER: {"*"},
}


def _holders(*permissions: str) -> set[str]:
    return {c for c, held in HOLDS.items() if "*" in held or held & set(permissions)}


def admin(*permissions: str, ok: Any = 200, staff: Any = 403) -> dict[str, Any]:
    """An admin page: non-staff go to the admin login; staff need one of `permissions` (none: any staff)."""
    holders = _holders(*permissions) if permissions else set(STAFF_CALLERS)
    return {ANON: LOGIN, A: LOGIN, B: LOGIN, **{c: ok if c in holders else staff for c in STAFF_CALLERS}}


def api(*permissions: str, ok: Any = 200) -> dict[str, Any]:
    """A staff API endpoint: 401 without credentials, 403 without one of `permissions`."""
    holders = _holders(*permissions)
    return {ANON: 401, A: 403, B: 403, **{c: ok if c in holders else 403 for c in STAFF_CALLERS}}


def everyone(status: Any, **exceptions: Any) -> dict[str, Any]:
    return {**dict.fromkeys(CALLERS, status), **{globals()[k]: v for k, v in exceptions.items()}}


@dataclass(frozen=True)
class Case:
    """One request to one URL, and the status each caller gets."""

    expected: dict[str, Any]
    method: str = "get"
    kwargs: dict[str, str] = field(default_factory=dict)  # URL kwargs; "{order}", "{sku}", ... are filled in
    path: str | None = None  # for URLs without a name
    query: str = ""
    body: dict[str, Any] | None = None  # what refused callers send: it would change something if let through
    inert: dict[str, Any] | None = None  # what allowed callers send instead (default: `body`)
    inert_headers: dict[str, str] = field(default_factory=dict)
    inert_kwargs: dict[str, str] | None = None  # URL kwargs for allowed callers (default: `kwargs`)
    as_json: bool = False
    note: str = ""


ORDER = {"order_id": "{order}"}
PAID_ORDER_STALE = {"HTTP_IF_MATCH": '"0"'}
ORDER_ACTION_BODIES = {  # the admin order page's actions, on a paid order
    "confirm": {}, "reject": {"reason": "no"}, "pay": {"payment_reference": "P-1"},
    "ship": {"carrier": "DHL", "tracking_number": "T-1"}, "deliver": {}, "cancel": {"reason": "asked"},
    "add_note": {"text": "hello"},
    "correct_address": {"recipient_name": "A", "line1": "2 Side St", "city": "Berlin", "postal_code": "10115",
                        "country": "DE", "reason": "moved"},
}
ADDRESS = {"recipient_name": "A", "line1": "2 Side St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def _order_action(action: str) -> Case:
    permission = roles.ORDER_ACTION_PERMISSIONS[action]
    body = {**ORDER_ACTION_BODIES[action], "version": "{version}"}
    return Case(admin(permission, ok=302), "post", {**ORDER, "action": action}, body=body,
                inert={**body, "version": "0"}, note=action)


def _read_and_revoke_admin(app: str, model: str, object_name: str, holds: str) -> dict[str, list[Case]]:
    """A read-only admin (knox tokens, axes lockouts): `holds`.view reads, `holds`.delete revokes; no one adds."""
    name = f"admin:{app}_{model}"
    obj = {"object_id": "{" + object_name + "}"}
    return {
        f"{name}_changelist": [Case(admin(f"{holds}.view"))],
        f"{name}_add": [Case(admin(ok=403), note="made by logins, never by hand")],
        f"{name}_change": [Case(admin(f"{holds}.view"), kwargs=obj)],
        f"{name}_history": [Case(admin(f"{holds}.view"), kwargs=obj)],
        f"{name}_delete": [Case(admin(f"{holds}.delete"), kwargs=obj)],
        f"admin/{app}/{model}/<path:object_id>/": [
            Case(admin(ok=302), path=f"/admin/{app}/{model}/{{{object_name}}}/")],
    }


SUPERUSER_ONLY = admin("auth.*")
NEW_MATRIX_PASSWORD = {"new_password1": "Matrix-new-pw-2", "new_password2": "Matrix-new-pw-2"}
PRODUCT = {"object_id": "{pk}"}
RECEIVE = {"_receive": "1", "receive-quantity": "1"}

RULES: dict[str, list[Case]] = {
    # -- customer pages --------------------------------------------------------------------------
    "web:catalogue": [Case(everyone(200))],
    "web:signup": [Case(everyone(302, ANON=200), note="signed-in users go back to the catalogue")],
    "web:login": [Case(everyone(302, ANON=200))],
    "web:logout": [Case(everyone(302), "post")],
    "web:password_reset": [
        Case(everyone(200)),
        Case(everyone(302), "post", body={"email": "nobody@example.invalid"}, note="the same answer for any address"),
    ],
    "web:password_reset_done": [Case(everyone(200))],
    "web:password_reset_confirm": [Case(everyone(200), kwargs={"uidb64": "MQ", "token": "not-a-token"},
                                        note="a wrong link shows the invalid-link page")],
    "web:password_reset_complete": [Case(everyone(200))],
    "web:account": [Case(everyone(200, ANON=LOGIN))],
    "web:password_change": [
        Case(everyone(200, ANON=LOGIN)),
        Case(everyone(400, ANON=LOGIN), "post", note="allowed callers send a wrong current password",
             body={"old_password": "x-matrix-pw-1", **NEW_MATRIX_PASSWORD},
             inert={"old_password": "wrong", **NEW_MATRIX_PASSWORD}),
    ],
    "web:email_change": [
        Case(everyone(200, ANON=LOGIN)),
        Case(everyone(400, ANON=LOGIN), "post", note="allowed callers send a wrong current password",
             body={"new_email": "matrix-new@example.com", "password": "x-matrix-pw-1"},
             inert={"new_email": "matrix-new@example.com", "password": "wrong"}),
    ],
    "web:email_change_confirm": [
        Case(everyone(400), kwargs={"token": "not-a-token"}, note="only a signed link changes anything"),
        Case(everyone(400), "post", {"token": "not-a-token"}),
    ],
    "web:account-notifications": [Case(everyone(200, ANON=LOGIN)),
                                  Case(everyone(302, ANON=LOGIN), "post", body={"order_emails": "on"},
                                       note="each signed-in user changes only their own setting")],
    "web:account-delete": [
        Case(everyone(200, ANON=LOGIN, STAFF=403, SUPPORT=403, WAREHOUSE=403, OPS=403, SUPER=403),
             note="staff accounts are closed by an administrator"),
        Case(everyone(400, ANON=LOGIN, STAFF=403, SUPPORT=403, WAREHOUSE=403, OPS=403, SUPER=403), "post",
             body={"password": "x-matrix-pw-1"}, inert={"password": "wrong"},
             note="allowed callers send a wrong password: nothing is erased"),
    ],
    "web:account-deleted": [Case(everyone(200), note="the goodbye page")],
    "web:order_list": [Case(everyone(200, ANON=LOGIN))],
    "web:order_new": [Case(everyone(200, ANON=LOGIN))],
    "web:order_detail": [Case(everyone(404, ANON=LOGIN, A=200), kwargs=ORDER,
                              note="customer pages show only one's own orders, to staff too")],
    "web:order_pay": [Case(everyone(404, ANON=LOGIN, A=302), "post", ORDER, body={"version": "{version}"},
                           note="A's order is paid already: refused by the domain")],
    "web:account-addresses": [
        Case(everyone(200, ANON=LOGIN)),
        Case(everyone(400, ANON=LOGIN), "post", body={**ADDRESS, "country": "XX"}, note="refused by the rules"),
    ],
    "web:account-address-delete": [Case(everyone(404, ANON=LOGIN, A=302), "post", {"address_id": "{address}"},
                                        inert_kwargs={"address_id": "{spare_web_address}"},
                                        note="only the owner deletes (A deletes a spare of theirs)")],
    "web:order_cancel": [Case(everyone(404, ANON=LOGIN, A=302), "post", ORDER,
                              body={"version": "{version}", "reason": "changed my mind"},
                              inert={"version": "0", "reason": "changed my mind"})],
    # -- probes ----------------------------------------------------------------------------------
    "healthz": [Case(everyone(200))],
    "ping": [Case(everyone(200))],
    "metrics": [Case({**dict.fromkeys(CALLERS, 403), OPS: 200, SUPER: 200})],
    # -- the event-sourced admin pages --------------------------------------------------------------
    "admin:es_order_list": [Case(admin(roles.VIEW_ORDERS))],
    "admin:es_order_detail": [Case(admin(roles.VIEW_ORDERS), kwargs=ORDER)],
    "admin:es_order_action": [_order_action(action) for action in ORDER_ACTION_BODIES],
    "admin:es_packing_slip": [Case(admin(roles.SHIP_ORDERS), kwargs=ORDER)],
    "admin:es_packing_slips": [Case(admin(roles.SHIP_ORDERS), query="order={order}")],
    "admin:es_event_browser": [Case(admin(roles.BROWSE_EVENT_LOG))],
    "admin:es_stream_lookup": [Case(admin(roles.BROWSE_EVENT_LOG, ok=302), query="stream=order-{order}")],
    "admin:es_stream_timeline": [
        Case(admin(roles.VIEW_ORDERS, roles.BROWSE_EVENT_LOG), kwargs={"stream_name": "order-{order}"}),
        Case(admin(roles.MANAGE_STOCK, roles.BROWSE_EVENT_LOG), kwargs={"stream_name": "inventory-{sku}"}),
        Case(admin(roles.BROWSE_EVENT_LOG, ok=404), kwargs={"stream_name": "snapshot-x"}),
    ],
    "admin:customer-erase": [
        Case(admin(roles.MANAGE_CUSTOMER_DATA), kwargs={"user_id": "{user}"}),
        Case(admin(roles.MANAGE_CUSTOMER_DATA, ok=409), "post", {"user_id": "{user}"}, body={},
             inert_kwargs={"user_id": "{staff_user}"}, note="allowed callers ask to erase a staff account: refused"),
    ],
    "admin:es_projections": [Case(admin(roles.OPERATE_PROJECTIONS))],
    "admin:es_rebuild": [Case(admin(roles.OPERATE_PROJECTIONS, ok=302), "post", {"name": "sales"}, body={},
                              inert_kwargs={"name": "fulfillment"}, note="a process manager: not rebuildable")],
    "admin:es_dead_letters": [
        Case(admin(roles.OPERATE_PROJECTIONS), kwargs={"name": "orders"}),
        Case(admin(roles.OPERATE_PROJECTIONS, ok=302), "post", {"name": "orders"}, note="discard",
             body={"event_id": "{letter}", "_discard": "1"}, inert={"event_id": str(uuid4()), "_discard": "1"}),
        Case(admin(roles.OPERATE_PROJECTIONS, ok=302), "post", {"name": "orders"}, note="retry",
             body={"event_id": "{letter}", "_retry": "1"}, inert={"event_id": str(uuid4()), "_retry": "1"}),
    ],
    # -- the catalogue and stock in the admin -------------------------------------------------------
    "admin:orders_product_changelist": [
        Case(admin("orders.view_product", roles.MANAGE_STOCK)),
        Case(admin("orders.view_product", roles.MANAGE_STOCK), "post", note="receive-stock action",
             body={"action": "receive_stock", "_selected_action": "{pk}", "_apply": "1", "quantity": "1"},
             inert={"action": "receive_stock", "_selected_action": "{pk}", "_apply": "1", "quantity": "0"}),
    ],
    "admin:orders_product_stock": [
        Case(admin(roles.MANAGE_STOCK), kwargs=PRODUCT),
        Case(admin(roles.MANAGE_STOCK), "post", PRODUCT, body=RECEIVE, inert={**RECEIVE, "receive-quantity": "0"},
             note="receive"),
        Case(admin(roles.MANAGE_STOCK), "post", PRODUCT, body={"_adjust": "1", "adjust-delta": "1",
                                                                "adjust-reason": "count"},
             inert={"_adjust": "1", "adjust-delta": "0", "adjust-reason": "count"}, note="adjust"),
    ],
    "admin:orders_product_add": [Case(admin("orders.add_product"))],
    "admin:orders_product_change": [
        Case(admin("orders.view_product", "orders.change_product", roles.MANAGE_STOCK), kwargs=PRODUCT),
        Case(admin("orders.change_product", ok=200, staff=403), "post", PRODUCT, body={"name": "Renamed"},
             note="an incomplete form: re-shown (200) to editors"),
    ],
    "admin:orders_product_history": [
        Case(admin("orders.view_product", "orders.change_product", roles.MANAGE_STOCK), kwargs=PRODUCT)],
    "admin:orders_product_delete": [Case(admin("orders.delete_product"), kwargs=PRODUCT)],
    "admin/orders/product/<path:object_id>/": [Case(admin(ok=302), path="/admin/orders/product/{pk}/")],
    # -- Django's own admin pages -------------------------------------------------------------------
    "admin:index": [Case(admin())],
    "admin:login": [Case(everyone(302, ANON=200, A=200, B=200), note="non-staff see the staff login form")],
    "admin:logout": [Case(everyone(302), "post", note="back to the catalogue (LOGOUT_REDIRECT_URL)")],
    "admin:password_change": [Case(admin())],
    "admin:password_change_done": [Case(admin())],
    "admin:autocomplete": [Case(admin(ok=403), note="without its parameters it refuses everyone")],
    "admin:jsi18n": [Case(admin())],
    "admin:view_on_site": [Case(admin(ok=404), kwargs={"content_type_id": "{product_type}", "object_id": "{pk}"},
                                note="products have no page of their own")],
    "admin:app_list": [
        Case(admin(roles.VIEW_ORDERS, roles.MANAGE_STOCK, "orders.view_product", staff=404),
             kwargs={"app_label": "orders"}),
        Case(admin("auth.*", staff=404), kwargs={"app_label": "auth"}),
    ],
    "admin/(?P<url>.*)$": [Case(admin(ok=404, staff=404), path="/admin/no-such-page/")],
    **{f"admin:auth_{model}_{view}": [Case(SUPERUSER_ONLY, kwargs={} if view in ("changelist", "add") else
                                           {"object_id": "{user}"} if model == "user" else {"object_id": "{group}"})]
       for model in ("user", "group") for view in ("changelist", "add", "change", "history", "delete")},
    "admin:auth_user_password_change": [Case(SUPERUSER_ONLY, kwargs={"id": "{user}"})],
    "admin/auth/user/<path:object_id>/": [Case(admin(ok=302), path="/admin/auth/user/{user}/")],
    "admin/auth/group/<path:object_id>/": [Case(admin(ok=302), path="/admin/auth/group/{group}/")],
    **_read_and_revoke_admin("knox", "authtoken", "token_object", "token"),
    **{key: cases for model in ("accessattempt", "accesslog", "accessfailurelog")
       for key, cases in _read_and_revoke_admin("axes", model, f"axes_{model}", "lockout").items()},
    # -- the API -------------------------------------------------------------------------------------
    "api:schema": [Case(everyone(200))],
    "api:docs": [Case(everyone(200))],
    "api:products": [Case(everyone(200))],
    "api:token": [
        Case(everyone(400), "post", body={"username": "nobody", "password": "wrong"}, as_json=True),
        Case(everyone(204, ANON=401), "delete"),
    ],
    "api:tokens": [Case(everyone(204, ANON=401), "delete", note="revokes all of the caller's own tokens")],
    "api:order-list": [
        Case(everyone(200, ANON=401)),
        Case(everyone(201, ANON=401), "post", as_json=True, note="for oneself",
             body={"lines": [{"sku": "{sku}", "quantity": 1}], "shipping_address": ADDRESS,
                   "contact_email": "me@example.com"}),
        Case({**api(roles.DECIDE_ORDERS, ok=201), A: 201}, "post", as_json=True, note="for customer A",
             body={"lines": [{"sku": "{sku}", "quantity": 1}], "customer_id": "{user}", "shipping_address": ADDRESS,
                   "contact_email": "a@example.com"}),
    ],
    "api:my-addresses": [
        Case(everyone(200, ANON=401)),
        Case(everyone(400, ANON=401), "post", body={**ADDRESS, "country": "XX"}, as_json=True),
    ],
    "api:my-address": [Case(everyone(404, ANON=401, A=204), "delete", {"address_id": "{address}"},
                            inert_kwargs={"address_id": "{spare_api_address}"},
                            note="only the owner deletes (A deletes a spare of theirs)")],
    "api:order-shipping-address": [Case(api(roles.CORRECT_ADDRESS, ok=412), "post", ORDER, as_json=True,
                                        body={"shipping_address": ADDRESS, "reason": "moved"},
                                        inert={"shipping_address": ADDRESS, "reason": "moved"},
                                        inert_headers=PAID_ORDER_STALE)],
    "api:order-detail": [Case(everyone(404, ANON=401, A=200, SUPPORT=200, WAREHOUSE=200, OPS=200, SUPER=200),
                              kwargs=ORDER)],
    "api:order-events": [Case(everyone(404, ANON=401, A=200, SUPPORT=200, WAREHOUSE=200, OPS=200, SUPER=200),
                              kwargs=ORDER)],
    "api:order-pay": [Case({**api(roles.DECIDE_ORDERS, ok=409), A: 409, B: 404}, "post", ORDER, as_json=True,
                           body={"amount": "12.50", "payment_reference": "P-2"}, note="already paid: 409")],
    "api:order-cancel": [Case({**api(roles.CANCEL_ORDERS, ok=412), A: 412, B: 404}, "post", ORDER, as_json=True,
                              body={"reason": "asked"}, inert={"reason": "asked"}, inert_headers=PAID_ORDER_STALE)],
    "api:order-ship": [Case(api(roles.SHIP_ORDERS, ok=412), "post", ORDER, as_json=True,
                            body={"carrier": "DHL", "tracking_number": "T-2"},
                            inert={"carrier": "DHL", "tracking_number": "T-2"}, inert_headers=PAID_ORDER_STALE)],
    "api:order-deliver": [Case(api(roles.SHIP_ORDERS, ok=409), "post", ORDER, body={}, as_json=True,
                               note="paid, not shipped: 409")],
    "api:order-notes": [Case(api(roles.ADD_ORDER_NOTE, ok=412), "post", ORDER, as_json=True, body={"text": "hi"},
                             inert={"text": "hi"}, inert_headers=PAID_ORDER_STALE)],
    "api:stream-events": [
        Case(api(roles.VIEW_ORDERS, roles.BROWSE_EVENT_LOG), kwargs={"stream": "order-{order}"}),
        Case(api(roles.MANAGE_STOCK, roles.BROWSE_EVENT_LOG), kwargs={"stream": "inventory-{sku}"}),
    ],
    "api:inventory-list": [Case(api(roles.MANAGE_STOCK, roles.VIEW_ORDERS))],
    "api:inventory-detail": [Case(api(roles.MANAGE_STOCK, roles.VIEW_ORDERS), kwargs={"sku": "{sku}"})],
    "api:inventory-receive": [Case(api(roles.MANAGE_STOCK, ok=412), "post", {"sku": "{sku}"}, as_json=True,
                                   body={"quantity": 1}, inert={"quantity": 1}, inert_headers=PAID_ORDER_STALE)],
    "api:inventory-adjust": [Case(api(roles.MANAGE_STOCK, ok=412), "post", {"sku": "{sku}"}, as_json=True,
                                  body={"delta": 1, "reason": "count"}, inert={"delta": 1, "reason": "count"},
                                  inert_headers=PAID_ORDER_STALE)],
    "api:reports-sales": [Case(api(roles.VIEW_ORDERS), query="from=2026-01-01&to=2026-01-31")],
    "api:projections": [Case(api(roles.OPERATE_PROJECTIONS))],
    "api:dead-letters": [Case(api(roles.OPERATE_PROJECTIONS), kwargs={"name": "orders"})],
    "api:dead-letters-retry": [Case(api(roles.OPERATE_PROJECTIONS), "post", {"name": "orders"}, as_json=True,
                                    body={"event_ids": ["{letter}"]}, inert={"event_ids": [str(uuid4())]})],
    "api:dead-letters-discard": [Case(api(roles.OPERATE_PROJECTIONS), "post", {"name": "orders"}, as_json=True,
                                      body={"event_ids": ["{letter}"]}, inert={"event_ids": [str(uuid4())]})],
}
# Token admins: only the installed token app's URLs exist; rules for the other are not stale.
OPTIONAL: set[str] = set()


# -- the URL configuration ----------------------------------------------------------------------------


def served_urls() -> dict[str, str]:
    """Every URL pattern the project serves: its namespaced name (or, unnamed, its route) -> route."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern),
                     f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                key = (f"{namespace}:{pattern.name}" if namespace else pattern.name) if pattern.name else route
                found[key] = route

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_url_has_a_rule():
    served = served_urls()
    missing = sorted(f"{key} ({route})" for key, route in served.items() if key not in RULES)
    assert not missing, f"URLs without an authorization rule in {__file__}: {missing}"
    stale = sorted(set(RULES) - set(served) - OPTIONAL)
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_every_admin_order_action_has_a_rule():
    from orders.admin.forms import ACTION_FORMS

    assert {case.note for case in RULES["admin:es_order_action"]} == set(ACTION_FORMS)
    assert set(roles.ORDER_ACTION_PERMISSIONS) == set(ACTION_FORMS)


# -- the callers and the shared order -------------------------------------------------------------------


@dataclass
class World:
    names: dict[str, str]
    users: dict[str, Any]



@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Users of every kind, a product with stock and A's paid order: made once, removed at the end."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    tag = uuid4().hex[:10]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    start_subscribers_at_head(client, connections.event_store())
    client.close()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        ensure_role_groups()
        users_model = get_user_model()
        users = {}
        for caller in CALLERS[1:]:
            users[caller] = users_model.objects.create_user(f"{caller}-{tag}", password="x-matrix-pw-1",
                                                            is_staff=caller in STAFF_CALLERS,
                                                            is_superuser=caller == SUPER)
        for caller, group in ((SUPPORT, roles.SUPPORT), (WAREHOUSE, roles.WAREHOUSE), (OPS, roles.OPERATIONS)):
            users[caller].groups.add(Group.objects.get(name=group))
        sku = f"MATRIX-{tag}".upper()
        product = Product.objects.create(sku=sku, name="Matrix mug", unit_price=Decimal("12.50"))
        token_object = _token_object(users[A])
        dispatch(ReceiveStock(sku=sku, quantity=100), actor=Actor.staff("0"))
        order_id = uuid4()
        dispatch(CreateOrder(order_id=order_id, customer_id=str(users[A].pk),
                             lines=(RequestedLine(sku=sku, quantity=1),)), actor=Actor.customer(str(users[A].pk)))
        project_everything()  # fulfillment confirms it
        dispatch(PayOrder(order_id=order_id, amount=Decimal("12.50"), payment_reference="P-0"),
                 actor=Actor.customer(str(users[A].pk)))
        paid = dispatch(AddOrderNote(order_id=order_id, text=STAFF_NOTE), actor=Actor.staff(str(users[OPS].pk)))
        project_everything()
        letter = _park_newest_event(order_id)
        address, spare_web, spare_api = (
            book.save(users[A], ShippingAddress(recipient_name="A", line1=f"{n} Main St", city="Berlin",
                                                postal_code="10115", country="DE")) for n in (1, 2, 3))
        names = {"letter": letter, "order": str(order_id), "sku": sku, "pk": str(product.pk), "user": str(users[A].pk),
                 "staff_user": str(users[STAFF].pk),
                 "group": str(Group.objects.get(name=roles.SUPPORT).pk), "token_object": token_object,

                 "address": str(address.pk), "spare_web_address": str(spare_web.pk),
                 "spare_api_address": str(spare_api.pk),
                 "version": str(paid.new_version), "product_type": str(ContentType.objects.get_for_model(Product).pk)}
    yield World(names, users)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()  # the dead letter, queued rebuild tasks
    client.close()
    with django_db_blocker.unblock():
        product.delete()
        users_model.objects.filter(pk__in=[u.pk for u in users.values()]).delete()


def _token_object(user: Any) -> str:
    """The admin's id of a new API token of `user`."""
    from knox.models import AuthToken

    instance, _ = AuthToken.objects.create(user=user)
    return str(instance.pk)


def _lockout_objects() -> dict[str, str]:
    """One row of each of axes' admin models (a lockout record, a login log line, a failure), for their pages."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    who = {"username": "matrix-intruder", "ip_address": "192.0.2.1", "user_agent": "matrix"}
    return {"axes_accessattempt": str(AccessAttempt.objects.create(**who, failures_since_start=1).pk),
            "axes_accesslog": str(AccessLog.objects.create(**who).pk),
            "axes_accessfailurelog": str(AccessFailureLog.objects.create(**who).pk)}


def _park_newest_event(order_id: UUID) -> str:
    """A dead letter of the orders read model (the order's newest event), as a failed run leaves one."""
    event = connections.event_store().read_stream(f"order-{order_id}", backwards=True, limit=1)[0]
    try:
        raise RuntimeError("parked for the authorization matrix")
    except RuntimeError as error:
        failure = Failure.of(error)
    letter = DeadLetter.of("orders", event, failure, policy="park", generation=1)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.hset(keys.dead_letters("orders"), letter.event_id, letter.to_json())
    client.close()
    return str(letter.event_id)


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def _url(key: str, case: Case, names: dict[str, str], *, refused: bool) -> str:
    kwargs = case.kwargs if refused or case.inert_kwargs is None else case.inert_kwargs
    url = _fill(case.path, names) if case.path else reverse(key, kwargs=_fill(kwargs, names))
    return url + ("?" + _fill(case.query, names) if case.query else "")


def _state(names: dict[str, str]) -> tuple[Any, ...]:
    """What a refused request must leave alone: the order's and the stock's streams, the catalogue row, the
    dead letters and rebuild requests."""
    store = connections.event_store()
    product = Product.objects.get(pk=names["pk"])
    letters = sorted(str(letter.event_id) for letter in console.list_dead_letters("orders"))
    rebuilds = sorted(row.status.name for row in console.rows() if row.rebuild_requested or row.status.rebuild)
    return (store.stream_version(f"order-{names['order']}"), store.stream_version(f"inventory-{names['sku']}"),
            product.name, product.unit_price, letters, rebuilds,
            SavedAddress.objects.filter(pk=names["address"]).exists())


def _status(response: Any) -> Any:
    if response.status_code == 302 and "/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


CASES = [(key, case) for key, cases in RULES.items() for case in cases]
# What the order's customer reads of it: never the staff note on it, its author or any staff metadata.
STAFF_NOTE = "Internal: customer sounded annoyed"
CUSTOMER_ORDER_READS = {"web:order_detail", "api:order-list", "api:order-detail", "api:order-events"}


def _assert_no_staff_traces(response: Any, *, staff_id: str) -> None:
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert STAFF_NOTE not in body and "OrderNoteAdded" not in body and "note_count" not in body, body[:500]
    assert f"staff:{staff_id}" not in body and '"actor"' not in body, body[:500]


@pytest.mark.django_db
@pytest.mark.parametrize("key, case", CASES,
                         ids=[f"{c.method.upper()} {k}{' ' + c.note if c.note else ''}" for k, c in CASES])
def test_authorization(world, settings, key, case):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"order_create": "off", "login": "off"}}
    # Lockout records are cleared before every test (tests/conftest.py), so each test makes its own; and the
    # eight callers' wrong passwords must not lock each other out of the token endpoint.
    settings.AXES_FAILURE_LIMIT = 1000
    names = {**world.names, **_lockout_objects()} if "axes" in key else world.names
    got = {}
    # The refused go first: what they send would change something, and nothing may change.
    initial = _state(names)
    order = sorted(CALLERS, key=lambda c: case.expected[c] not in REFUSALS)
    for caller in order:
        client = Client()
        if caller != ANON:
            client.force_login(world.users[caller])
        refused = case.expected[caller] in REFUSALS
        url = _url(key, case, names, refused=refused)
        body = case.body if refused or case.inert is None else case.inert
        headers = {} if refused else case.inert_headers
        before = _state(names) if refused and case.method != "get" else None
        kwargs: dict[str, Any] = {}
        if body is not None:
            data = _fill(body, names)
            kwargs = {"data": data, "content_type": "application/json"} if case.as_json else {"data": data}
        response = getattr(client, case.method)(url, **kwargs, **headers)
        got[caller] = _status(response)
        if caller == A and case.method == "get" and key in CUSTOMER_ORDER_READS:
            _assert_no_staff_traces(response, staff_id=str(world.users[OPS].pk))
        if before is not None:
            assert _state(names) == before, f"{caller} was refused ({got[caller]}) but {key} changed something"
    assert got == case.expected, {c: (got[c], case.expected[c]) for c in CALLERS if got[c] != case.expected[c]}
    if case.method != "get":  # the allowed sent inert requests: nothing changed for anyone
        assert _state(names) == initial


# -- the dashboard's panels -------------------------------------------------------------------------------

# Which permission opens each panel of the admin index (orders/admin/dashboard.py); without it the panel is absent.
DASHBOARD_PANELS = {
    "panel-sales": roles.VIEW_ORDERS, "panel-charts": roles.VIEW_ORDERS, "panel-statuses": roles.VIEW_ORDERS,
    "panel-top-products": roles.VIEW_ORDERS, "panel-low-stock": roles.MANAGE_STOCK,
    "panel-health": roles.OPERATE_PROJECTIONS,
}


@pytest.mark.django_db
@pytest.mark.parametrize("caller", STAFF_CALLERS)
def test_each_dashboard_panel_shows_only_to_holders_of_its_permission(world, caller):
    import re

    client = Client()
    client.force_login(world.users[caller])
    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    shown = set(re.findall(r'<section class="module es-panel" id="(panel-[a-z-]+)"', response.content.decode()))
    assert shown == {panel for panel, permission in DASHBOARD_PANELS.items() if caller in _holders(permission)}
