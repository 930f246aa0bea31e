from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every process that reads events (web, workers, benches) needs the event types known.
        import orders.catalogue  # noqa: F401 - connects the catalogue cache invalidation
        import orders.event_types  # noqa: F401
        from eventlog.subscriptions.subscribers import PROCESS_MANAGER, register_subscriber
        from orders.api import authentication, idempotency
        from orders.fulfillment import FulfillmentProcessManager
        from orders.privacy import erasure

        authentication.connect()  # revoking a token, or changing a user's rights, clears cached tokens
        erasure.also_erase(idempotency.forget_user)  # kept API responses may hold an erased customer's address

        register_subscriber(FulfillmentProcessManager(), group=PROCESS_MANAGER)

