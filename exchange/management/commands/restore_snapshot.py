from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.snapshots import SnapshotError, restore_archive


class Command(BaseCommand):
    help = "Load a snapshot zip into an EMPTY (freshly migrated) database, exactly, in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A snapshot .zip (from /snapshots/ or make_snapshot).")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            counts = restore_archive(file)
        except SnapshotError as error:
            raise CommandError(str(error)) from None
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Restored {total} records from {file}."))
        for label, count in counts.items():
            if count:
                self.stdout.write(f"  {label}: {count}")
