"""The three staff roles as groups: Support, Warehouse and Operations (see orders/roles.py and the README)."""
from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here on purpose: a migration must not change meaning when the code moves on.
STAFF = ["view_orders", "add_order_note", "decide_orders", "cancel_orders", "ship_orders", "manage_stock",
         "browse_event_log", "operate_projections", "view_metrics"]
GROUPS = {
    "Support": ["view_orders", "add_order_note", "cancel_orders"],
    "Warehouse": ["view_orders", "ship_orders", "manage_stock"],
    "Operations": [*STAFF, "add_product", "change_product", "view_product", "delete_product"],
}
# Operations also see and revoke API tokens (knox) and see and clear login lockouts (axes).
LOCKOUT_AND_TOKEN_APPS = ("knox", "axes")


def _ensure_permissions(apps) -> None:
    # Permissions are normally created after the whole migrate run (post_migrate): make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    _ensure_permissions(apps)
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
        missing = set(codenames) - set(wanted.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for group {name}: {sorted(missing)}")
        group.permissions.add(*wanted)
        if name == "Operations":
            group.permissions.add(*Permission.objects.filter(content_type__app_label__in=LOCKOUT_AND_TOKEN_APPS,
                                                             codename__regex=r"^(view|delete)_"))


def remove_groups(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0002_staffpermission"),
        ("knox", "0009_extend_authtoken_field"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
