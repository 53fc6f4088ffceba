"""A long import does not hold the global change-log lock while it writes its points:
it appends its change-log rows last (`history.recording.change_log_appended_last`), so
an editor's write meanwhile goes ahead instead of waiting for the whole import."""

import datetime
import threading

import pytest
from django.db import connection, connections

from exchange import services
from exchange.choices import JobStatus
from history.models import Change
from provisions import importing
from provisions.services import provision_update
from tests.factories import PlanFactory, ProvisionFactory, VersionFactory

committed = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's advisory lock and concurrent connections (run with DATABASE_URL)",
)

POINTS = 12
DRAFT = "\n".join(f"{n}. Point {n} of the revised draft, on the ceasefire line." for n in range(1, POINTS + 1))


@on_postgresql
@committed
def test_an_editor_write_goes_ahead_while_an_import_writes_its_points(monkeypatch):
    plan = PlanFactory()
    earlier = VersionFactory(plan=plan, dated=datetime.date(2025, 11, 20))
    elsewhere = ProvisionFactory(version=VersionFactory(plan=plan, dated=datetime.date(2025, 11, 1)))
    job = services.import_job_record(plan=plan, label="Revised", dated=datetime.date(2025, 11, 30), text=DRAFT)
    job.revises = earlier
    job.save()
    mid_import, resume = threading.Event(), threading.Event()
    real_save = importing.save_recorded
    saved = []

    def save_then_pause(instance, **kwargs):
        # The import pauses after writing its version and a few points, inside its transaction.
        result = real_save(instance, **kwargs)
        saved.append(instance)
        if len(saved) == 4:
            mid_import.set()
            resume.wait(30)
        return result

    monkeypatch.setattr(importing, "save_recorded", save_then_pause)
    outcome = {}

    def run_import():
        try:
            outcome["job"] = services.import_job_run(job_id=job.pk)
        finally:
            connections.close_all()

    def edit():
        try:
            provision_update(provision=elsewhere, title="Edited while the import runs")
            outcome["edited"] = True
        finally:
            connections.close_all()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert mid_import.wait(60), "the import never reached its write phase"
        editor = threading.Thread(target=edit)
        editor.start()
        editor.join(timeout=10)
        went_ahead = not editor.is_alive()
    finally:
        resume.set()
        importer.join(timeout=60)
    editor.join(timeout=30)
    assert went_ahead, "the editor's write waited for the import"
    assert outcome["job"].status == JobStatus.IMPORTED, outcome["job"].error
    # The change log stays in commit order: the edit committed first, the import's rows follow it.
    edit_change = Change.objects.get(record_type="provisions.provision", object_id=elsewhere.pk, action="updated")
    imported = Change.objects.filter(record_type="provisions.provision", object_id__in=[p.pk for p in saved[1:]])
    assert imported.count() == POINTS
    assert all(change.pk > edit_change.pk for change in imported)
