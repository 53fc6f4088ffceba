from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisions.demo.loading import RECORD, DatasetError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo record (every version of the negotiation since the 28-point draft, with its sources). "
        "Safe to run again: it only adds what is missing and keeps editors' edits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            "--file",
            dest="path",
            type=Path,
            default=RECORD,
            help="A record folder of JSON files, or one JSON file (default: the shipped record).",
        )

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"No dataset at {path}.")
        try:
            loader = load_demo(path)
        except (ValidationError, KeyError, ValueError, DatasetError) as error:
            raise CommandError(f"Demo data not loaded, nothing saved: {error}") from None
        created = sum(loader.created.values())
        if created:
            parts = ", ".join(f"{count} {label}" for label, count in sorted(loader.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {parts}."))
        else:
            self.stdout.write(f"Demo data already present ({sum(loader.present.values())} records); nothing changed.")
        if deleted := sum(loader.deleted.values()):
            self.stdout.write(f"{deleted} demo record(s) deleted by an editor were left deleted.")
