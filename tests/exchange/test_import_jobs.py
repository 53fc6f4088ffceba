"""Import jobs: the task, the admin import page, publishing, the command, a broker that is down."""

import datetime
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from exchange import services
from exchange.choices import JobStatus
from exchange.models import ImportJob
from exchange.queueing import QUEUE_FAILED_MESSAGE
from exchange.tasks import run_import
from provisions.importing import import_text
from provisions.models import Lineage, Provision, Version
from tests.exchange.conftest import fixture_text
from tests.factories import PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def submit(draft_28, text, label="19-point revision", **kwargs):
    return services.import_job_submit(
        plan=draft_28.plan, label=label, dated=datetime.date(2025, 11, 23), text=text, revises=draft_28, **kwargs
    )


# --- The task and its service ------------------------------------------------


def test_a_submitted_job_is_queued_only_after_commit_and_then_imports(
    draft_28, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = submit(draft_28, fixture_text("revision_19_points.md"), user=editor)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.created_by == editor
    callbacks[0]()  # the commit: the (inline) task runs
    job.refresh_from_db()
    assert job.status == JobStatus.IMPORTED and job.progress == 100
    assert job.version.label == "19-point revision"
    assert job.report["counts"]["points"] == 19
    assert job.report["new"] == ["18"]
    assert [p["number"] for p in job.report["dropped"]] == ["4", "9", "15", "20", "23", "25", "26", "27"]


def test_running_the_task_twice_creates_nothing_twice(draft_28, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    points, links = Provision.objects.count(), Lineage.objects.count()
    assert run_import.delay(job.pk).get() == JobStatus.IMPORTED  # a second delivery
    assert (Provision.objects.count(), Lineage.objects.count()) == (points, links)
    assert Version.objects.filter(label="19-point revision").count() == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "The text is empty."),
        ("Talks went on all night without result.", "No numbered points found"),
    ],
)
def test_a_failed_import_says_why_and_leaves_no_version(draft_28, text, reason):
    job = services.import_job_record(
        plan=draft_28.plan, label="Broken", dated=datetime.date(2025, 11, 23), text=text, revises=draft_28
    )
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(reason)
    assert not Version.objects.filter(label="Broken").exists()


def test_a_label_taken_meanwhile_fails_the_job_and_leaves_nothing(draft_28):
    job = services.import_job_record(
        plan=draft_28.plan, label="Taken", dated=datetime.date(2025, 11, 23), text="1. One.", revises=draft_28
    )
    import_text(plan=draft_28.plan, label="Taken", dated=datetime.date(2025, 11, 22), text="1. Other.")
    points = Provision.objects.count()
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "already has a version with this label" in job.error
    assert job.version is None and Provision.objects.count() == points


def test_a_job_another_worker_is_running_is_left_to_it_until_its_lease_ends(draft_28, settings):
    job = services.import_job_record(plan=draft_28.plan, label="Busy", dated=datetime.date(2025, 11, 23), text="1. A.")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    with pytest.raises(services.JobBusy) as busy:
        services.import_job_run(job_id=job.pk)
    assert 0 < busy.value.retry_in <= settings.IMPORT_TASK_TIME_LIMIT + 1
    # A worker that died mid-import: after the lease another one takes the job over.
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert services.import_job_run(job_id=job.pk).status == JobStatus.IMPORTED


def test_an_unexpected_error_marks_the_job_failed_instead_of_leaving_it_running(draft_28, monkeypatch):
    from provisions import importing

    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importing, "create_imported_version", explode)
    job = services.import_job_record(plan=draft_28.plan, label="Boom", dated=datetime.date(2025, 11, 23), text="1. A.")
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "Unexpected error (RuntimeError)" in job.error


def test_publishing_confirms_the_remaining_links_and_keeps_the_corrected_ones(
    draft_28, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    job.refresh_from_db()
    links = Lineage.objects.filter(provision__version=job.version)
    # The editor corrects one link: new point 3 also comes from old point 4.
    point_3 = Provision.objects.get(version=job.version, number="3")
    old_4 = Provision.objects.get(version=draft_28, number="4")
    Lineage.objects.create(provision=point_3, derives_from=old_4, relation="merged", confirmed=True)
    assert services.import_job_publish(job=job, user=editor) == 21
    job.refresh_from_db()
    assert job.status == JobStatus.PUBLISHED and job.published_by == editor
    assert links.count() == 22 and not links.filter(confirmed=False).exists()
    confirmed = links.get(provision__number="1")
    assert confirmed.history.first().history_user == editor


def test_only_an_imported_job_can_be_published(draft_28):
    from django.core.exceptions import ValidationError

    job = services.import_job_record(plan=draft_28.plan, label="Q", dated=datetime.date(2025, 11, 23), text="1. A.")
    with pytest.raises(ValidationError, match="awaiting review"):
        services.import_job_publish(job=job)


# --- The broker is down ------------------------------------------------------


def test_with_the_broker_down_the_job_says_it_could_not_be_queued(
    draft_28, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    job.refresh_from_db()
    assert job.status == JobStatus.NOT_QUEUED
    assert job.error == QUEUE_FAILED_MESSAGE
    assert not Version.objects.filter(label="19-point revision").exists()


@pytest.mark.usefixtures("editors_group")
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_import_page_tells_the_editor_and_the_site_serves(dead_broker, editor_client):
    # Transactional: the admin's own commit runs the enqueue, as in production.
    plan = PlanFactory(slug="us-plan")
    response = editor_client.post(
        reverse("admin:exchange_importjob_add"),
        {"plan": plan.pk, "label": "Revision", "dated": "2025-11-23", "text_basis": "leaked", "text": "1. One."},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert QUEUE_FAILED_MESSAGE in page and "Import queued" not in page
    assert "Could not be queued" in page
    assert ImportJob.objects.get().status == JobStatus.NOT_QUEUED
    assert not Version.objects.filter(label="Revision").exists()
    assert editor_client.get(reverse("admin:index")).status_code == 200


# --- The admin import page ---------------------------------------------------


def form_data(draft_28, **overrides):
    data = {
        "plan": draft_28.plan.pk,
        "label": "19-point revision",
        "dated": "2025-11-23",
        "revises": draft_28.pk,
        "text_basis": "leaked",
        "text": fixture_text("revision_19_points.md"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_import_page_renders_for_an_editor(editor_client):
    response = editor_client.get(reverse("admin:exchange_importjob_add"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="text"' in body and 'name="upload"' in body and 'enctype="multipart/form-data"' in body


def test_the_import_page_is_refused_to_a_non_editor(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:exchange_importjob_add")).status_code == 403


def test_pasting_a_draft_imports_it_and_shows_the_report(draft_28, editor_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(reverse("admin:exchange_importjob_add"), form_data(draft_28))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:exchange_importjob_change", args=[job.pk])
    page = editor_client.get(response.url).content.decode()
    assert "Imported, awaiting review" in page
    assert "<strong>19</strong> points found" in page
    assert "Review the proposed links" in page and f"/admin/exchange/importjob/{job.pk}/review/" in page
    assert "Publish (confirm remaining proposed links)" in page
    assert 'http-equiv="refresh"' not in page


def test_uploading_a_markdown_file_imports_it(draft_28, editor_client, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("revision.md", fixture_text("revision_19_points.md").encode(), "text/markdown")
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("admin:exchange_importjob_add"), form_data(draft_28, text=None, upload=upload))
    job = ImportJob.objects.get()
    assert job.source_name == "revision.md" and job.status == JobStatus.IMPORTED


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"text": ""}, "Paste the text of the draft or upload a file."),
        ({"text": "No numbers in here at all."}, "No numbered points found"),
        ({"label": "28-point draft"}, "already has a version labelled “28-point draft”"),
        ({"dated": "2025-11-01"}, "is later than 2025-11-01"),
        ({"text": None, "upload": SimpleUploadedFile("draft.pdf", b"%PDF-1.4")}, "Upload a .txt or .md file."),
        ({"text": None, "upload": SimpleUploadedFile("draft.txt", b"\xff\xfe\x00bad")}, "not UTF-8 text"),
    ],
)
def test_bad_input_comes_back_as_a_form_error_with_nothing_saved(draft_28, editor_client, overrides, error):
    response = editor_client.post(reverse("admin:exchange_importjob_add"), form_data(draft_28, **overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_still_running_refreshes_its_page(draft_28, editor_client):
    job = services.import_job_record(plan=draft_28.plan, label="Q", dated=datetime.date(2025, 11, 23), text="1. A.")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress=40, stage="Compared 8 of 19 points")
    page = editor_client.get(reverse("admin:exchange_importjob_change", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert '<progress max="100" value="40">' in page and "Compared 8 of 19 points" in page


def test_a_failed_job_page_shows_the_reason(draft_28, editor_client):
    job = services.import_job_record(plan=draft_28.plan, label="Q", dated=datetime.date(2025, 11, 23), text="Nothing.")
    services.import_job_run(job_id=job.pk)
    page = editor_client.get(reverse("admin:exchange_importjob_change", args=[job.pk])).content.decode()
    assert "Failed" in page and "No numbered points found" in page


def test_the_publish_button_publishes(draft_28, editor_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    response = editor_client.post(reverse("admin:exchange_importjob_publish", args=[job.pk]), follow=True)
    assert "published; 21 proposed link(s) confirmed" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.PUBLISHED


def test_the_lineage_admin_confirms_selected_links(draft_28, editor_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    job.refresh_from_db()
    chosen = list(Lineage.objects.filter(provision__version=job.version, provision__number__in=["1", "2"]))
    response = editor_client.post(
        reverse("admin:provisions_lineage_changelist"),
        {"action": "confirm_links", "index": 0, "_selected_action": [link.pk for link in chosen]},
        follow=True,
    )
    assert "3 link(s) confirmed" in response.content.decode()
    assert Lineage.objects.filter(provision__version=job.version, confirmed=True).count() == 3


def test_the_job_list_renders_in_a_fixed_number_of_queries(draft_28, editor_client, django_assert_max_num_queries):
    def add_jobs(count):
        for n in range(count):
            services.import_job_record(plan=draft_28.plan, label=f"L{n}", dated=datetime.date(2025, 11, 23), text="1.")

    add_jobs(2)
    with django_assert_max_num_queries(12) as small:
        assert editor_client.get(reverse("admin:exchange_importjob_changelist")).status_code == 200
    add_jobs(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert editor_client.get(reverse("admin:exchange_importjob_changelist")).status_code == 200


# --- The command -------------------------------------------------------------


def fixture_path(name):
    from tests.exchange.conftest import FIXTURES

    return str(FIXTURES / name)


def test_import_version_prints_what_it_created(draft_28):
    out = StringIO()
    call_command(
        "import_version",
        fixture_path("revision_19_points.md"),
        "--plan=us-plan",
        "--label=19-point revision",
        "--date=2025-11-23",
        f"--revises={draft_28.pk}",
        stdout=out,
    )
    text = out.getvalue()
    version = Version.objects.get(label="19-point revision")
    assert f"Created version {version.pk} “19-point revision” (2025-11-23), status proposed." in text
    assert "Points: 19 (1, 2, 3" in text
    assert "Proposed links: 21 (unconfirmed) for 18 points; 3 merged, 1 split" in text
    assert "     7 <- 10   0.74 split    renumbered 10 → 7; split: 100% of its words are in 10" in text
    assert "New points: 18" in text and "Dropped earlier points: 4, 9, 15, 20, 23, 25, 26, 27" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.txt"], "nowhere.txt: no such file."),
        (["draft.pdf"], "draft.pdf: give a .txt or .md file."),
        ([fixture_path("counter_proposal.md"), "--plan=nope"], "No plan with the slug “nope”."),
        ([fixture_path("counter_proposal.md"), "--date=23/11/2025"], "is not a date: use YYYY-MM-DD."),
        ([fixture_path("counter_proposal.md"), "--revises=999999"], "No version with id 999999."),
        ([fixture_path("counter_proposal.md"), "--label=28-point draft"], "already has a version labelled"),
    ],
)
def test_import_version_refuses_bad_input_in_one_line(draft_28, args, message):
    defaults = {"--plan": "us-plan", "--label": "Counter", "--date": "2025-11-24"}
    given = {arg.split("=")[0] for arg in args[1:]}
    extra = [f"{key}={value}" for key, value in defaults.items() if key not in given]
    versions = Version.objects.count()
    with pytest.raises(CommandError, match=message.replace("(", r"\(")) as error:
        call_command("import_version", *args, *extra)
    assert "\n" not in str(error.value)
    assert Version.objects.count() == versions


# --- A job never stays "running" ---------------------------------------------


def test_the_sweep_fails_an_import_killed_by_its_hard_time_limit(draft_28, settings):
    job = services.import_job_record(plan=draft_28.plan, label="Slow", dated=datetime.date(2025, 11, 23), text="1. A.")
    started = timezone.now() - timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + services.STALLED_GRACE_SECONDS + 5)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=started)
    fresh = services.import_job_record(plan=draft_28.plan, label="Fresh", dated=datetime.date(2025, 11, 23), text="1.")
    ImportJob.objects.filter(pk=fresh.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    assert services.jobs_fail_stalled() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "past its time limit" in job.error and "Nothing was created" in job.error
    assert ImportJob.objects.get(pk=fresh.pk).status == JobStatus.RUNNING


def test_the_stalled_job_sweep_is_in_the_beat_schedule(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["fail-stalled-jobs"]
    assert entry["task"] == "exchange.tasks.fail_stalled_jobs" and entry["task"] in app.tasks


def test_two_imports_racing_for_one_label_say_the_label_is_taken(draft_28, monkeypatch):
    from django.db import IntegrityError

    from provisions import importing

    job = services.import_job_record(plan=draft_28.plan, label="Race", dated=datetime.date(2025, 11, 23), text="1. A.")

    def lose_the_race(**kwargs):  # the other import committed between our check and our insert
        raise IntegrityError("UNIQUE constraint failed: provisions_version.plan_id, provisions_version.label")

    import_text(plan=draft_28.plan, label="Race", dated=datetime.date(2025, 11, 23), text="1. The other import.")
    monkeypatch.setattr(importing, "create_imported_version", lose_the_race)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert (
        job.error
        == f"“{draft_28.plan}” already has a version labelled “Race” (created meanwhile). Nothing was created."
    )


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("   ", "Label: Give the new version a label."),
        ("x" * 201, "Label: A label has at most 200 characters; this one has 201."),
    ],
)
def test_import_version_refuses_a_blank_or_too_long_label_in_one_line(draft_28, label, message):
    versions, jobs = Version.objects.count(), ImportJob.objects.count()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_version",
            fixture_path("counter_proposal.md"),
            "--plan=us-plan",
            f"--label={label}",
            "--date=2025-11-24",
        )
    assert str(error.value) == message
    assert (Version.objects.count(), ImportJob.objects.count()) == (versions, jobs)


def test_an_imported_version_is_published_when_its_import_is_published_not_before(
    draft_28, editor, receiver, django_capture_on_commit_callbacks
):
    from exchange.choices import WebhookEvent
    from exchange.models import WebhookDelivery

    subscription = services.webhook_subscription_create(
        url=receiver.url, event_kinds=[WebhookEvent.VERSION_PUBLISHED, WebhookEvent.VERSION_CHANGED]
    )
    receiver.secret = subscription.secret
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(draft_28, fixture_text("revision_19_points.md"))
    job.refresh_from_db()
    assert [(r.json["event"], r.json["action"]) for r in receiver.received] == [("version.changed", "created")]
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_publish(job=job, user=editor)
    published = receiver.received[-1].json
    assert published["event"] == "version.published" and published["record_id"] == job.version_id
    assert published["data"]["status"] == "proposed"
    assert WebhookDelivery.objects.filter(event="version.published").count() == 1
    assert job.version.history.first().history_user == editor
