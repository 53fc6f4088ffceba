from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange import services
from exchange.choices import JobStatus
from exchange.forms import IMPORT_EXTENSIONS
from provisions.choices import TextBasis
from provisions.models import Plan, Version


class Command(BaseCommand):
    help = "Import a draft's text (.txt/.md) as a new version with proposed lineage, and print what was created."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="UTF-8 text or Markdown file, one numbered point per line.")
        parser.add_argument("--plan", required=True, help="Slug of the plan the version belongs to.")
        parser.add_argument("--label", required=True, help="Label of the new version (unique within the plan).")
        parser.add_argument("--date", required=True, help="Date of the text, YYYY-MM-DD.")
        parser.add_argument("--revises", type=int, help="Id of the earlier version it revises (lineage is proposed).")
        parser.add_argument("--text-basis", default=TextBasis.LEAKED, choices=TextBasis.values)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if path.suffix.lower() not in IMPORT_EXTENSIONS:
            raise CommandError(f"{path.name}: give a .txt or .md file.")
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        try:
            # The admin's limit, checked before reading: a huge file is refused, not loaded.
            if path.stat().st_size > limit:
                raise CommandError(f"{path.name} is larger than {limit // 1024} KB, the import limit.")
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path.name} is not UTF-8 text.") from None
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            raise CommandError(f"No plan with the slug “{options['plan']}”.")
        try:
            dated = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"“{options['date']}” is not a date: use YYYY-MM-DD.") from None
        revises = None
        if options["revises"] is not None:
            revises = Version.objects.filter(pk=options["revises"]).first()
            if revises is None:
                raise CommandError(f"No version with id {options['revises']}.")
        try:
            services.import_check(plan=plan, label=options["label"], dated=dated, text=text, revises=revises)
        except ValidationError as error:
            raise CommandError(services.one_line(error)) from None

        # The shell runs the import here and now, the same service the worker runs.
        try:
            job = services.import_job_record(
                plan=plan,
                label=options["label"],
                dated=dated,
                text=text,
                revises=revises,
                text_basis=options["text_basis"],
                source_name=path.name,
            )
        except ValidationError as error:
            raise CommandError(services.one_line(error)) from None
        job = services.import_job_run(job_id=job.pk)
        if job.status != JobStatus.IMPORTED:
            raise CommandError(job.error or f"Import ended as “{job.get_status_display()}”.")
        self._print(job)

    def _print(self, job: Any) -> None:
        report, counts = job.report, job.report["counts"]
        version = job.version
        self.stdout.write(
            self.style.SUCCESS(f"Created version {version.pk} “{version.label}” ({version.dated}), status proposed.")
        )
        self.stdout.write(f"Points: {counts['points']} ({', '.join(report['numbers'])})")
        self.stdout.write(
            f"Proposed links: {counts['links']} (unconfirmed) for {counts['linked']} points; "
            f"{counts['merged']} merged, {counts['split']} split"
        )
        for link in report["links"]:
            self.stdout.write(
                f"  {link['new']:>4} <- {link['old']:<4} {link['similarity']:.2f} {link['relation']:<8} "
                f"{link.get('reason', '')}"
            )
        self.stdout.write(f"New points: {', '.join(report['new']) or 'none'}")
        dropped = ", ".join(point["number"] for point in report["dropped"])
        self.stdout.write(f"Dropped earlier points: {dropped or 'none'}")
        for warning in report["warnings"]:
            self.stdout.write(self.style.WARNING(warning))
        if report.get("topics_missing"):
            self.stdout.write(f"No topic found (set them): {', '.join(report['topics_missing'])}")
        self.stdout.write(f"Import job {job.pk}; review the links in the admin, then publish the job.")
