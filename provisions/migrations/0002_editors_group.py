from django.db import migrations

from editors.permissions import sync_editors_group


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0001_initial"),
        ("provisions", "0001_initial"),
        ("actors", "0002_initial"),
    ]

    operations = [migrations.RunPython(sync_editors_group, migrations.RunPython.noop)]
