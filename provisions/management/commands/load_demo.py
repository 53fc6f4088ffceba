from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisions.demo.loading import DATASET, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo dataset (the 28-point draft and what was reported around it). "
        "Safe to run again: it only adds what is missing and keeps editors' edits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=DATASET, help="Dataset JSON (default: the shipped one).")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            loader = load_demo(file)
        except FileNotFoundError:
            raise CommandError(f"No dataset at {file}.") from None
        except (ValidationError, KeyError, ValueError) as error:
            raise CommandError(f"Demo data not loaded, nothing saved: {error}") from None
        created = sum(loader.created.values())
        if created:
            parts = ", ".join(f"{count} {label}" for label, count in sorted(loader.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {parts}."))
        else:
            self.stdout.write(f"Demo data already present ({sum(loader.present.values())} records); nothing changed.")
        if deleted := sum(loader.deleted.values()):
            self.stdout.write(f"{deleted} demo record(s) deleted by an editor were left deleted.")
