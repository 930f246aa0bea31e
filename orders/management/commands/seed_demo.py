"""Demo data for `make run`: a staff user, a customer and a small catalogue."""
from __future__ import annotations

import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from eventlog import connections
from eventlog.errors import EventStoreUnavailableError
from orders.addressbook import book
from orders.domain.addresses import ShippingAddress
from orders.models import Product
from orders.roles import OPERATIONS

DEMO_USERS = [
    # (username, password, role group or None) - development only; refused when DEBUG is off.
    ("staff", "staff-demo-password", OPERATIONS),
    ("customer", "customer-demo-password", None),
]
DEMO_PRODUCTS = [
    ("MUG-BLUE", "Blue enamel mug", "Holds 350 ml of coffee.", "12.50"),
    ("TEE-BLACK-M", "Black T-shirt (M)", "Organic cotton.", "19.90"),
    ("CAP-RED", "Red cap", "One size.", "14.00"),
    ("BOOK-ES", "Event Sourcing in Practice", "Paperback, 320 pages.", "39.00"),
    ("STICKERS", "Sticker pack", "Ten vinyl stickers.", "4.99"),
]
DEMO_STOCK = 25


class Command(BaseCommand):
    help = "Create demo users and products (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--wait", type=float, default=0,
                            help="Seconds to wait for the event store to come up first.")

    def handle(self, *args, wait: float, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates well-known passwords; it only runs with DEBUG on.")
        if wait:
            self._wait_for_eventstore(wait)
        self._seed_users()
        self._seed_address()
        self._seed_products()
        self._seed_stock()

    def _wait_for_eventstore(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                connections.event_store().head_position()
                return
            except EventStoreUnavailableError:
                if time.monotonic() > deadline:
                    raise CommandError(f"the event store at {settings.EVENTSTORE_URL} did not come up "
                                       f"within {seconds:.0f}s") from None
                time.sleep(0.2)

    def _seed_users(self) -> None:
        users = get_user_model()
        for username, password, group in DEMO_USERS:
            user, created = users.objects.get_or_create(
                username=username, defaults={"is_staff": group is not None, "email": f"{username}@example.com"})
            if created:
                user.set_password(password)
                user.save()
            if group is not None:  # also for a demo user made before roles existed
                user.groups.add(Group.objects.get(name=group))
            role = f"staff in {group} (admin at /admin/)" if group else "customer"
            self.stdout.write(f"demo {role}: username {username!r}, password {password!r}")

    def _seed_address(self) -> None:
        # A saved address for the demo customer, so checkout shows both ways: pick it, or type a new one.
        customer = get_user_model().objects.get(username="customer")
        book.save(customer, ShippingAddress(recipient_name="Demo Customer", line1="1 Example Street", city="Berlin",
                                            postal_code="10115", country="DE"))
        self.stdout.write("demo customer: one saved address")

    def _seed_products(self) -> None:
        for sku, name, description, price in DEMO_PRODUCTS:
            Product.objects.get_or_create(sku=sku, defaults={"name": name, "description": description,
                                                             "unit_price": Decimal(price)})
        self.stdout.write(f"catalogue: {Product.objects.count()} products")

    def _seed_stock(self) -> None:
        # Stock lives in the event store: receive a first delivery once, so ordering works out of the box.
        from orders.domain.commands import ReceiveStock
        from orders.domain.values import Actor
        from orders.handlers import dispatch

        received = 0
        for sku, *_ in DEMO_PRODUCTS:
            if connections.event_store().stream_version(f"inventory-{sku}") is None:
                dispatch(ReceiveStock(sku=sku, quantity=DEMO_STOCK), actor=Actor.system("seed_demo"))
                received += 1
        if received:
            self.stdout.write(f"stock: received {DEMO_STOCK} units of {received} products")
