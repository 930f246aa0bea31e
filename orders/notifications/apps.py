from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "orders.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After the orders app (INSTALLED_APPS order), so fulfillment decides before customers are told.
        from eventlog.subscriptions.subscribers import PROCESS_MANAGER, register_subscriber
        from orders.notifications.subscriber import NotificationSubscriber

        register_subscriber(NotificationSubscriber(), group=PROCESS_MANAGER)
