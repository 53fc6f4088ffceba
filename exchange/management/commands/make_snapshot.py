from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange import services
from exchange.choices import SnapshotStatus, SnapshotTrigger
from exchange.models import Snapshot


class Command(BaseCommand):
    help = "Write a snapshot of the whole dataset now (in this process) and print where it is."

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = Snapshot.objects.create(trigger=SnapshotTrigger.COMMAND)
        try:
            snapshot = services.snapshot_run(snapshot_id=snapshot.pk)
        except OSError as error:
            raise CommandError(f"Could not write the snapshot: {error}") from None
        if snapshot is None or snapshot.status != SnapshotStatus.READY:
            raise CommandError("The snapshot was not written.")
        self.stdout.write(self.style.SUCCESS(f"{snapshot}: {snapshot.total_records} records"))
        self.stdout.write(f"File: {snapshot.file.path}")
        self.stdout.write(f"SHA-256: {snapshot.sha256}")
