from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisions.record_checks import record_problems


class Command(BaseCommand):
    help = (
        "Check that the record is checkable: every stance, event, version, point text and figure cites a source, "
        "every source has an address (or a reason), dates say no more than is known, texts hold no commentary, "
        "no two actors share a name. Exits 1 if anything is wrong."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = record_problems()
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) on record.")
        self.stdout.write(self.style.SUCCESS("0 problems on record."))
