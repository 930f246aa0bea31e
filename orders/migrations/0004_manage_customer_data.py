"""The `manage_customer_data` permission (export and erase a customer's personal data) for Support and Operations."""
from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here on purpose: a migration must not change meaning when the code moves on.
CODENAME = "manage_customer_data"
GROUPS = ("Support", "Operations")


def grant(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    orders = apps.get_app_config("orders")
    # Permissions are normally created after the whole migrate run (post_migrate): make this one now.
    orders.models_module = True
    create_permissions(orders, apps=apps, verbosity=0)
    orders.models_module = None
    permission = Permission.objects.get(content_type__app_label="orders", codename=CODENAME)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor) -> None:
    apps.get_model("auth", "Permission").objects.filter(content_type__app_label="orders", codename=CODENAME).delete()


class Migration(migrations.Migration):

    dependencies = [("orders", "0003_staff_groups")]

    operations = [
        migrations.AlterModelOptions(
            name="staffpermission",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_orders", "View orders and their timelines"),
                    ("add_order_note", "Add notes to orders"),
                    ("decide_orders", "Confirm, reject and mark paid any order"),
                    ("cancel_orders", "Cancel any order"),
                    ("ship_orders", "Ship and deliver orders"),
                    ("manage_stock", "Receive and adjust stock"),
                    ("browse_event_log", "Browse the event log and any stream's timeline"),
                    ("operate_projections", "Operate projections and dead letters"),
                    ("view_metrics", "Read /metrics"),
                    ("manage_customer_data", "Export and erase a customer's personal data"),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
