from django.db import migrations

from editors.permissions import sync_editors_group


class Migration(migrations.Migration):
    """Editors manage imports, webhook subscriptions and snapshots, and read the delivery log."""

    dependencies = [
        ("exchange", "0001_initial"),
        ("provisions", "0002_editors_group"),
    ]

    operations = [migrations.RunPython(sync_editors_group, migrations.RunPython.noop)]
