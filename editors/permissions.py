"""The Editors group: exactly the permissions an editor needs, kept in one list.

A data migration calls `sync_editors_group`; a later app that editors must use
adds its models to EDITOR_MODELS and ships a migration that calls it again.
"""

from typing import Any

EDITORS_GROUP = "Editors"

# app label -> models editors add, change, delete and view.
EDITOR_MODELS: dict[str, list[str]] = {
    "provisions": [
        "source",
        "plan",
        "version",
        "provision",
        "lineage",
        "territory",
        "controlobservation",
        "territorialdisposition",
    ],
    "actors": ["actor", "position", "event", "claim", "account"],
    "exchange": ["importjob", "webhooksubscription", "snapshot"],
}
# Read-only for editors.
EDITOR_VIEW_ONLY: dict[str, list[str]] = {
    "history": ["change"],
    "exchange": ["webhookdelivery", "deliveryattempt"],
}


def editor_permission_codenames() -> list[tuple[str, str]]:
    pairs = [
        (app, f"{action}_{model}")
        for app, models in EDITOR_MODELS.items()
        for model in models
        for action in ("add", "change", "delete", "view")
    ]
    pairs += [(app, f"view_{model}") for app, models in EDITOR_VIEW_ONLY.items() for model in models]
    return pairs


def sync_editors_group(apps: Any, schema_editor: Any = None) -> None:
    """Create the group if needed and set its permissions to exactly the list above."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    wanted = []
    for app_label, codename in editor_permission_codenames():
        try:
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist:
            # A model whose app is migrated later: that app's own migration calls this again.
            try:
                apps.get_model(app_label, codename.split("_", 1)[1])
            except LookupError:
                continue
            raise
    group.permissions.set(wanted)


def editors_group() -> Any:
    """The Editors group, with its permissions set if it had to be created: the data migration
    creates it, but a test database flushed between tests has lost it (its permissions, made
    after every migrate, are still there)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, created = Group.objects.get_or_create(name=EDITORS_GROUP)
    if created:
        wanted = Q(pk__in=[])
        for app_label, codename in editor_permission_codenames():
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group
