"""The roles themselves: what the data migration grants, what each role sees, and that each can do its job."""
from __future__ import annotations

import os
import re
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from eventlog import connections
from orders import roles
from orders.domain.commands import CreateOrder, PayOrder, ReceiveStock, RequestedLine
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.conftest import ensure_role_groups, make_staff, start_subscribers_at_head
from tests.factories import project_everything
from tests.security.test_authorization_matrix import HOLDS, OPS, SUPPORT, WAREHOUSE

pytestmark = pytest.mark.django_db

GROUP_OF = {SUPPORT: roles.SUPPORT, WAREHOUSE: roles.WAREHOUSE, OPS: roles.OPERATIONS}


def _perms(group: Group) -> set[str]:
    return {f"{app}.{codename}" for app, codename in
            group.permissions.values_list("content_type__app_label", "codename")}


def test_the_migration_made_the_three_groups():
    # Not ensured here: non-transactional tests run before any transactional one flushes the database.
    names = set(GROUP_OF.values())
    assert set(Group.objects.filter(name__in=names).values_list("name", flat=True)) == names


@pytest.mark.parametrize("caller", [SUPPORT, WAREHOUSE, OPS])
def test_each_group_holds_exactly_its_staff_permissions(caller):
    ensure_role_groups()
    held = _perms(Group.objects.get(name=GROUP_OF[caller]))
    staff_held = {p for p in held if p in roles.STAFF_PERMISSIONS}
    assert staff_held == {p for p in HOLDS[caller] if p in roles.STAFF_PERMISSIONS}
    if caller == OPS:
        assert {"orders.add_product", "orders.change_product", "orders.view_product", "orders.delete_product"} <= held
        tokens = {p for p in held if p.startswith("knox.")}
        lockouts = {p for p in held if p.startswith("axes.")}
        assert tokens == {"knox.view_authtoken", "knox.delete_authtoken"}, tokens
        assert lockouts and all(re.match(r"^axes\.(view|delete)_", p) for p in lockouts), lockouts
        assert not any(p.startswith("auth.") for p in held), "user administration stays with superusers"
    else:
        assert held == staff_held


def test_superusers_hold_every_staff_permission_and_plain_staff_none():
    root, nobody = make_staff("root-roles", superuser=True), make_staff("nobody-roles")
    assert all(roles.may(root, p) for p in roles.STAFF_PERMISSIONS)
    assert not any(roles.may(nobody, p) for p in roles.STAFF_PERMISSIONS)
    customer = make_staff("not-staff-roles", role=roles.OPERATIONS)
    customer.is_staff = False
    customer.save()
    assert not roles.may(customer, roles.VIEW_ORDERS), "a permission without is_staff is not staff work"


def test_demo_staff_user_is_in_operations(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == [roles.OPERATIONS]
    assert all(staff.has_perm(p) for p in roles.STAFF_PERMISSIONS)


# -- what each role sees and does ---------------------------------------------------------------------



@pytest.fixture
def paid_order(redis_client, unique, django_user_model):
    """A paid order of a customer, projected; returns (order id, sku, its product)."""
    start_subscribers_at_head(redis_client, connections.event_store())
    customer = django_user_model.objects.create_user(f"cust-{unique}", password="x-cust-pw-1")
    sku = f"ROLE-{unique}".upper()
    product = Product.objects.create(sku=sku, name="Role mug", unit_price=Decimal("5.00"))
    dispatch(ReceiveStock(sku=sku, quantity=10), actor=Actor.staff("0"))
    order_id = uuid4()
    dispatch(CreateOrder(order_id=order_id, customer_id=str(customer.pk), lines=(RequestedLine(sku=sku, quantity=1),)),
             actor=Actor.customer(str(customer.pk)))
    project_everything()
    dispatch(PayOrder(order_id=order_id, amount=Decimal("5.00"), payment_reference="P"),
             actor=Actor.customer(str(customer.pk)))
    project_everything()
    return order_id, sku, product


def _client(role: str | None, name: str) -> Client:
    client = Client()
    client.force_login(make_staff(name, role=role))
    return client


def _version(order_id: UUID) -> int | None:
    return connections.event_store().stream_version(f"order-{order_id}")


NAV = {"orders": "admin:es_order_list", "events": "admin:es_event_browser", "projections": "admin:es_projections",
       "products": "admin:orders_product_changelist"}


@pytest.mark.parametrize("role, visible", [
    (None, set()),
    (roles.SUPPORT, {"orders"}),
    (roles.WAREHOUSE, {"orders", "products"}),
    (roles.OPERATIONS, {"orders", "events", "projections", "products"}),
])
def test_admin_index_and_sidebar_list_only_what_the_role_may_open(redis_client, role, visible):
    client = _client(role, f"nav-{role or 'none'}")
    for page in (reverse("admin:index"), reverse("admin:password_change")):  # index, and a page with the sidebar
        html = client.get(page).content.decode()
        shown = {entry for entry, url_name in NAV.items() if f'href="{reverse(url_name)}"' in html}
        assert shown == visible, (page, shown)


@pytest.mark.parametrize("role, buttons", [
    (roles.SUPPORT, {"cancel", "add_note"}),
    (roles.WAREHOUSE, {"ship", "correct_address"}),
    (roles.OPERATIONS, {"ship", "cancel", "add_note", "correct_address"}),
])
def test_order_page_offers_only_the_actions_the_role_may_take(paid_order, role, buttons):
    order_id, sku, _ = paid_order
    html = _client(role, f"btn-{role}").get(reverse("admin:es_order_detail", args=[order_id])).content.decode()
    assert set(re.findall(r'id="action-(\w+)"', html)) == buttons
    assert ('id="correlated-events"' in html) == (role == roles.OPERATIONS)  # the event browser link
    assert (f'href="{reverse("admin:es_stream_timeline", args=[f"inventory-{sku}"])}"' in html) \
        == (role != roles.SUPPORT)


def test_support_adds_a_note_and_cancels_in_the_admin(paid_order):
    order_id, _, _ = paid_order
    client = _client(roles.SUPPORT, "sue-admin")
    version = _version(order_id)
    client.post(reverse("admin:es_order_action", args=[order_id, "add_note"]), {"version": version, "text": "called"})
    client.post(reverse("admin:es_order_action", args=[order_id, "cancel"]),
                {"version": version + 1, "reason": "customer asked"})
    timeline = [e.event_type for e in connections.event_store().read_stream(f"order-{order_id}")]
    assert timeline[-2:] == ["OrderNoteAdded", "OrderCancelled"]


def test_warehouse_ships_delivers_and_receives_stock(paid_order):
    order_id, sku, product = paid_order
    client = _client(roles.WAREHOUSE, "walt-admin")
    version = _version(order_id)
    client.post(reverse("admin:es_order_action", args=[order_id, "ship"]),
                {"version": version, "carrier": "DHL", "tracking_number": "T"})
    client.post(reverse("admin:es_order_action", args=[order_id, "deliver"]), {"version": version + 1})
    before = connections.event_store().stream_version(f"inventory-{sku}")
    response = client.post(reverse("admin:orders_product_stock", args=[product.pk]),
                           {"_receive": "1", "receive-quantity": "3"})
    assert response.status_code == 302
    assert connections.event_store().stream_version(f"inventory-{sku}") == before + 1
    assert [e.event_type for e in connections.event_store().read_stream(f"order-{order_id}")][-2:] == ["OrderShipped",
                                                                                          "OrderDelivered"]
    # The catalogue is read-only to the Warehouse: it may not rename a product.
    assert client.get(reverse("admin:orders_product_change", args=[product.pk])).status_code == 200
    assert client.post(reverse("admin:orders_product_change", args=[product.pk]),
                       {"name": "Renamed", "unit_price": "1.00", "currency": "EUR"}).status_code == 403
    assert Product.objects.get(pk=product.pk).name == "Role mug"


def test_api_lists_other_customers_orders_only_with_view_orders(paid_order):
    order_id, _, _ = paid_order
    for role, sees in ((None, False), (roles.SUPPORT, True)):
        client = _client(role, f"api-list-{role}")
        listed = {o["order_id"] for o in client.get("/api/orders/").json()["items"]}
        assert (str(order_id) in listed) == sees
        events = client.get(f"/api/orders/{order_id}/events/")
        assert events.status_code == (200 if sees else 404)
        if sees:  # staff who may see the order also see the event metadata (who did it)
            assert events.json()["entries"][0]["metadata"]["actor"]


def test_support_cancels_another_customers_order_through_the_api(paid_order):
    order_id, _, _ = paid_order
    response = _client(roles.SUPPORT, "sue-api").post(f"/api/orders/{order_id}/cancel/", {"reason": "asked"},
                                                      content_type="application/json")
    assert response.status_code == 200, response.content
    assert [e.event_type for e in connections.event_store().read_stream(f"order-{order_id}")][-1] == "OrderCancelled"


def test_staff_without_permissions_keep_a_customers_rights_on_their_own_order(redis_client, unique):
    start_subscribers_at_head(redis_client, connections.event_store())
    sku = f"OWN-{unique}".upper()
    Product.objects.create(sku=sku, name="Own mug", unit_price=Decimal("5.00"))
    dispatch(ReceiveStock(sku=sku, quantity=10), actor=Actor.staff("0"))
    client = _client(None, f"own-{unique}")
    placed = client.post("/api/orders/", {"lines": [{"sku": sku, "quantity": 1}], "contact_email": "own@example.com",
                                          "shipping_address": {"recipient_name": "Own", "line1": "1 Main St",
                                                               "city": "Berlin", "postal_code": "10115",
                                                               "country": "DE"}},
                         content_type="application/json")
    order_id = placed.json()["aggregate_id"]
    project_everything()
    assert client.get(f"/api/orders/{order_id}/").status_code == 200
    cancelled = client.post(f"/api/orders/{order_id}/cancel/", {"reason": "mine"}, content_type="application/json")
    assert cancelled.status_code == 200, cancelled.content
