"""Snapshots: the archive, its checksums, the exact restore, the page, the API, the admin, the schedule."""

import csv
import datetime
import hashlib
import io
import json
import zipfile
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from exchange import services
from exchange.choices import SnapshotStatus, SnapshotTrigger
from exchange.models import Snapshot
from exchange.queueing import QUEUE_FAILED_MESSAGE
from exchange.snapshots import SnapshotError, manifest_signature, restore_archive, snapshot_models, write_archive
from history.models import Change
from provisions.models import Provision, Version
from provisions.services import provision_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def dataset(demo_data, editor):
    """The demo data plus an edit by an editor (so the history names an account)."""
    point = Provision.objects.order_by("pk").first()
    provision_update(provision=point, title="Sovereignty confirmed again", user=editor)
    return demo_data


def everything() -> dict[str, list]:
    """Every row of every snapshot table (history tables, the change log and many-to-many tables
    included) as the database returns it, not through a serializer, and the named accounts."""
    records = {}
    for model in snapshot_models():
        records[model._meta.db_table] = list(model._base_manager.order_by("pk").values())
        for field in model._meta.many_to_many:
            # The link rows' own ids mean nothing (the archive keeps each record's list of ids).
            through = field.remote_field.through
            pair = [field.m2m_field_name() + "_id", field.m2m_reverse_field_name() + "_id"]
            records[through._meta.db_table] = sorted(through._base_manager.values_list(*pair))
    records["accounts"] = list(get_user_model().objects.order_by("pk").values_list("pk", "username"))
    return records


def empty_the_database() -> None:
    """What a freshly migrated database holds: no records, no accounts (inside the test's transaction)."""
    tables = [m._meta.db_table for m in snapshot_models()] + [get_user_model()._meta.db_table]
    tables += [f.remote_field.through._meta.db_table for m in snapshot_models() for f in m._meta.many_to_many]
    tables += ["auth_user_groups", "auth_user_user_permissions", "authtoken_token", "django_admin_log"]
    tables += ["exchange_importjob", "exchange_snapshot", "exchange_webhooksubscription"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL truncates only once the deferred foreign-key checks have run.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_the_archive_holds_json_and_csv_per_model_and_a_manifest_with_checksums(dataset):
    buffer = io.BytesIO()
    manifest = write_archive(buffer)
    archive = zipfile.ZipFile(buffer)
    names = set(archive.namelist())
    for model in snapshot_models():
        label = model._meta.label_lower
        assert {f"json/{label}.json", f"csv/{label}.csv"} <= names
    for name, info in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == info["sha256"]
    assert json.loads(archive.read("manifest.json")) == manifest
    assert manifest["record_counts"]["provisions.provision"] == Provision.objects.count() > 0
    assert datetime.datetime.fromisoformat(manifest["made_at"]).tzinfo is not None
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/provisions.version.csv").decode())))
    assert len(rows) == Version.objects.count() and rows[0]["label"] and "sources" in rows[0]
    accounts = json.loads(archive.read("json/auth.user.json"))
    assert [a["fields"] for a in accounts] == [{"username": "editor"}]  # no password, no e-mail


def test_a_snapshot_restores_into_an_empty_database_exactly(dataset):
    # Microseconds a millisecond format would lose, on a record and on the change log.
    precise = datetime.datetime(2025, 11, 21, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    Provision._base_manager.filter(pk=Provision.objects.order_by("pk").first().pk).update(updated_at=precise)
    Change.objects.filter(pk=Change.objects.order_by("pk").first().pk).update(changed_at=precise)
    points = Provision.objects.count()
    before = everything()
    assert any("history" in table for table in before) and before["history_change"]
    buffer = io.BytesIO()
    write_archive(buffer)
    empty_the_database()
    assert Provision.objects.count() == 0
    counts = restore_archive(io.BytesIO(buffer.getvalue()))
    assert counts["provisions.provision"] == points and counts["auth.user"] == 1
    after = everything()
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    restored = get_user_model().objects.get(username="editor")
    assert not restored.has_usable_password()


def test_new_records_after_a_restore_get_fresh_ids(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    highest = Provision.objects.order_by("-pk").first().pk
    empty_the_database()
    restore_archive(io.BytesIO(buffer.getvalue()))
    version = Provision.objects.first().version
    from tests.factories import ProvisionFactory

    assert ProvisionFactory(version=version, number="99").pk > highest


def test_restore_refuses_a_database_that_is_not_empty(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    before = Provision.objects.count()
    with pytest.raises(SnapshotError, match=r"The database is not empty \(\d+ tables hold records"):
        restore_archive(io.BytesIO(buffer.getvalue()))
    assert Provision.objects.count() == before


def test_restore_refuses_a_damaged_archive(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "json/provisions.provision.json":
                data = data.replace(b"Sovereignty", b"Surrender", 1)
            target.writestr(item, data)
    empty_the_database()
    with pytest.raises(SnapshotError, match=r"the SHA-256 of json/provisions\.provision\.json does not match"):
        restore_archive(io.BytesIO(damaged.getvalue()))
    assert Provision.objects.count() == 0


def test_restore_refuses_an_account_clash(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    editor_id = get_user_model().objects.get(username="editor").pk
    empty_the_database()
    get_user_model().objects.create(pk=editor_id, username="someone-else")
    with pytest.raises(SnapshotError, match="is “someone-else” here but “editor” in the snapshot"):
        restore_archive(io.BytesIO(buffer.getvalue()))


def test_restore_snapshot_command_prints_what_it_restored(dataset, tmp_path):
    path = tmp_path / "snap.zip"
    with path.open("wb") as handle:
        write_archive(handle)
    points = Provision.objects.count()
    empty_the_database()
    out = StringIO()
    call_command("restore_snapshot", str(path), stdout=out)
    assert "Restored" in out.getvalue() and f"provisions.provision: {points}" in out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Not a snapshot archive"),
        (b"not a zip", "Not a snapshot archive"),
        ("no-manifest", "the archive has no manifest.json"),
    ],
)
def test_restore_snapshot_command_refuses_bad_files_in_one_line(tmp_path, content, message):
    path = tmp_path / "file.zip"
    if content == "no-manifest":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message) as error:
        call_command("restore_snapshot", str(path))
    assert "\n" not in str(error.value)


def test_restore_snapshot_command_refuses_a_full_database(dataset, tmp_path):
    path = tmp_path / "snap.zip"
    with path.open("wb") as handle:
        write_archive(handle)
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore_snapshot", str(path))


# --- Signed: an edited archive is refused ------------------------------------


def rewritten(archive_bytes: bytes, edit) -> io.BytesIO:
    """A copy of the zip with `edit(name, data)` applied to each file (None drops it)."""
    copy = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = edit(item.filename, source.read(item.filename))
            if data is not None:
                target.writestr(item, data)
    copy.seek(0)
    return copy


def test_restore_refuses_an_archive_edited_together_with_its_manifest(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    points = "json/provisions.provision.json"
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        forged = archive.read(points).replace(b"Sovereignty", b"Surrender", 1)
        manifest = json.loads(archive.read("manifest.json"))
    manifest["files"][points]["sha256"] = hashlib.sha256(forged).hexdigest()  # checksums recomputed

    def tamper(name, data):
        return {points: forged, "manifest.json": json.dumps(manifest).encode()}.get(name, data)

    empty_the_database()
    with pytest.raises(SnapshotError, match="signature does not match: it was changed after it was made"):
        restore_archive(rewritten(buffer.getvalue(), tamper))
    assert Provision.objects.count() == 0


def test_restore_refuses_an_archive_signed_with_another_key(dataset, settings):
    buffer = io.BytesIO()
    write_archive(buffer)
    settings.SNAPSHOT_SIGNING_KEY = "another server's key"
    empty_the_database()
    with pytest.raises(SnapshotError, match="or signed with another SNAPSHOT_SIGNING_KEY"):
        restore_archive(io.BytesIO(buffer.getvalue()))


def test_restore_snapshot_command_refuses_an_unsigned_archive_in_one_line(dataset, tmp_path):
    buffer = io.BytesIO()
    write_archive(buffer)
    path = tmp_path / "unsigned.zip"
    path.write_bytes(rewritten(buffer.getvalue(), lambda name, data: None if name == "manifest.sig" else data).read())
    empty_the_database()
    with pytest.raises(CommandError, match=r"The snapshot is not signed \(no manifest\.sig\)") as error:
        call_command("restore_snapshot", str(path))
    assert "\n" not in str(error.value)


def test_restore_refuses_a_file_the_signed_manifest_does_not_list(dataset):
    buffer = io.BytesIO()
    write_archive(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    del manifest["files"]["json/provisions.provision.json"]
    manifest_bytes = json.dumps(manifest).encode()
    signature = manifest_signature(manifest_bytes).encode()  # as if the key had leaked: still refused

    def drop_listing(name, data):
        return {"manifest.json": manifest_bytes, "manifest.sig": signature}.get(name, data)

    empty_the_database()
    with pytest.raises(SnapshotError, match=r"does not list json/provisions\.provision\.json"):
        restore_archive(rewritten(buffer.getvalue(), drop_listing))


def test_the_signing_key_defaults_to_one_derived_from_the_secret_key(settings):
    assert len(settings.SNAPSHOT_SIGNING_KEY) == 64 and settings.SECRET_KEY not in settings.SNAPSHOT_SIGNING_KEY


# --- Who may delete, and what is kept -----------------------------------------


@pytest.mark.usefixtures("editors_group")
def test_editors_cannot_delete_snapshots_administrators_can(ready_snapshot, editor_client, client):
    delete_url = reverse("admin:exchange_snapshot_delete", args=[ready_snapshot.pk])
    assert editor_client.get(delete_url).status_code == 403
    changelist = reverse("admin:exchange_snapshot_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [ready_snapshot.pk], "post": "yes"}
    editor_client.post(changelist, bulk)
    assert Snapshot.objects.filter(pk=ready_snapshot.pk).exists()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Snapshot.objects.filter(pk=ready_snapshot.pk).exists()


def make_snapshot(trigger=SnapshotTrigger.EDITOR):
    return services.snapshot_run(snapshot_id=Snapshot.objects.create(trigger=trigger).pk)


def test_retention_keeps_the_newest_snapshots_whoever_made_them(settings):
    settings.SNAPSHOT_KEEP = 2
    made = [make_snapshot(trigger) for trigger in (SnapshotTrigger.EDITOR, SnapshotTrigger.COMMAND)]
    services.snapshot_daily(day=datetime.date(2025, 11, 1))
    kept = list(Snapshot.objects.order_by("pk").values_list("pk", flat=True))
    assert kept == [made[1].pk, Snapshot.objects.get(scheduled_for=datetime.date(2025, 11, 1)).pk]
    assert not (settings.MEDIA_ROOT / made[0].file.name).exists()  # the file goes with its row


def test_retention_keeps_every_snapshot_younger_than_the_days_setting(settings):
    settings.SNAPSHOT_KEEP = 1
    settings.SNAPSHOT_KEEP_DAYS = 7
    old, recent = make_snapshot(), make_snapshot()
    now = timezone.now()
    Snapshot.objects.filter(pk=old.pk).update(made_at=now - datetime.timedelta(days=10))
    Snapshot.objects.filter(pk=recent.pk).update(made_at=now - datetime.timedelta(days=3))
    newest = make_snapshot()
    assert set(Snapshot.objects.values_list("pk", flat=True)) == {recent.pk, newest.pk}


# --- The snapshot row, its task and schedule ---------------------------------


def test_make_snapshot_command_writes_a_ready_snapshot_with_the_zip_checksum(dataset):
    out = StringIO()
    call_command("make_snapshot", stdout=out)
    snapshot = Snapshot.objects.get()
    assert snapshot.status == SnapshotStatus.READY and snapshot.trigger == SnapshotTrigger.COMMAND
    data = snapshot.file.read()
    assert hashlib.sha256(data).hexdigest() == snapshot.sha256 and len(data) == snapshot.size_bytes
    assert snapshot.file.name.startswith("snapshots/accord-snapshot-")
    assert f"SHA-256: {snapshot.sha256}" in out.getvalue()
    assert snapshot.record_counts["provisions.provision"] == Provision.objects.count()


def test_running_the_snapshot_task_twice_writes_one_archive(dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = services.snapshot_request()
    snapshot.refresh_from_db()
    first = (snapshot.file.name, snapshot.sha256)
    services.snapshot_run(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    assert (snapshot.file.name, snapshot.sha256) == first


def test_the_daily_snapshot_is_made_once_per_day_and_old_ones_are_pruned(dataset, settings):
    settings.SNAPSHOT_KEEP = 2
    for day in (1, 2, 3):
        services.snapshot_daily(day=datetime.date(2025, 11, day))
    services.snapshot_daily(day=datetime.date(2025, 11, 3))  # beat fired twice
    kept = Snapshot.objects.filter(trigger=SnapshotTrigger.SCHEDULE).order_by("scheduled_for")
    assert [s.scheduled_for.day for s in kept] == [2, 3]
    assert all(s.status == SnapshotStatus.READY for s in kept)


def test_the_daily_snapshot_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["daily-snapshot"]
    assert entry["task"] == "exchange.tasks.make_daily_snapshot"
    from config.celery import app

    assert entry["task"] in app.tasks


def test_with_the_broker_down_the_snapshot_request_says_so(dataset, dead_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = services.snapshot_request()
    snapshot.refresh_from_db()
    assert snapshot.status == SnapshotStatus.NOT_QUEUED and snapshot.error == QUEUE_FAILED_MESSAGE


# --- Page, download, API, admin ----------------------------------------------


@pytest.fixture
def ready_snapshot(dataset):
    call_command("make_snapshot", stdout=StringIO())
    return Snapshot.objects.get()


def test_the_snapshot_page_lists_ready_snapshots_for_editors(ready_snapshot, editor_client):
    page = editor_client.get("/snapshots/").content.decode()
    assert ready_snapshot.sha256 in page
    assert ready_snapshot.get_download_url() in page


def test_the_snapshot_page_and_downloads_are_refused_to_others(ready_snapshot, client):
    assert client.get("/snapshots/").status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get("/snapshots/").status_code == 403
    assert client.get(ready_snapshot.get_download_url()).status_code == 403


def test_a_download_is_the_archive_with_its_checksum(ready_snapshot, editor_client):
    response = editor_client.get(ready_snapshot.get_download_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{ready_snapshot.file_name}"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == ready_snapshot.sha256 == response["X-Checksum-SHA256"]


def test_a_missing_or_unfinished_snapshot_is_a_404(editor_client):
    queued = Snapshot.objects.create()
    assert editor_client.get(queued.get_download_url()).status_code == 404
    assert editor_client.get("/snapshots/999999/download/").status_code == 404


def test_the_page_and_the_api_run_a_fixed_number_of_queries(
    ready_snapshot, editor, editor_client, django_assert_max_num_queries
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(editor)
    with django_assert_max_num_queries(12) as page_small:
        editor_client.get("/snapshots/")
    with django_assert_max_num_queries(12) as api_small:
        assert api.get("/api/v1/snapshots/").json()["count"] == 1
    for _ in range(20):
        Snapshot.objects.create(
            status=SnapshotStatus.READY, sha256="0" * 64, file=ready_snapshot.file.name, record_counts={"a": 1}
        )
    with django_assert_max_num_queries(len(page_small.captured_queries)):
        editor_client.get("/snapshots/")
    with django_assert_max_num_queries(len(api_small.captured_queries)):
        assert api.get("/api/v1/snapshots/").json()["count"] == 21


def test_the_api_lists_snapshots_with_checksum_and_download_url(ready_snapshot, editor):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(editor)
    [item] = api.get("/api/v1/snapshots/").json()["results"]
    assert item["sha256"] == ready_snapshot.sha256 and item["status"] == "ready"
    assert item["download_url"] == f"http://testserver/api/v1/snapshots/{ready_snapshot.pk}/download/"
    assert item["total_records"] == ready_snapshot.total_records
    assert api.post("/api/v1/snapshots/", {}).status_code == 405
    api.force_authenticate(None)
    assert api.get("/api/v1/snapshots/").status_code == 401


@pytest.mark.usefixtures("editors_group")
@pytest.mark.django_db(transaction=True)
def test_an_editor_starts_a_snapshot_from_the_admin(dataset, editor_client):
    response = editor_client.post(reverse("admin:exchange_snapshot_make"), follow=True)
    snapshot = Snapshot.objects.get()
    assert snapshot.status == SnapshotStatus.READY and snapshot.created_by.username == "editor"
    assert "is ready to download" in response.content.decode()
    listing = editor_client.get(reverse("admin:exchange_snapshot_changelist")).content.decode()
    assert "Make a snapshot now" in listing and snapshot.file_name in listing


@pytest.mark.usefixtures("editors_group")
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_admin_says_the_snapshot_could_not_be_queued(dataset, dead_broker, editor_client):
    response = editor_client.post(reverse("admin:exchange_snapshot_make"), follow=True)
    assert QUEUE_FAILED_MESSAGE in response.content.decode()


@pytest.fixture
def token_api(editor):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    return api


@pytest.mark.parametrize("accept", ["*/*", "application/zip", "application/json"])
def test_the_api_download_url_works_with_a_token(ready_snapshot, token_api, accept):
    [item] = token_api.get("/api/v1/snapshots/").json()["results"]
    response = token_api.get(item["download_url"], HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == ready_snapshot.sha256 == response["X-Checksum-SHA256"]


def test_the_api_download_is_refused_to_anonymous_clients_and_non_editors(ready_snapshot):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    url = f"/api/v1/snapshots/{ready_snapshot.pk}/download/"
    api = APIClient()
    assert api.get(url).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    assert api.get(url).status_code == 403


def test_the_api_download_of_an_unfinished_snapshot_is_a_json_404(token_api):
    queued = Snapshot.objects.create()
    response = token_api.get(f"/api/v1/snapshots/{queued.pk}/download/")
    assert response.status_code == 404 and "not ready" in response.json()["detail"]
    assert token_api.get("/api/v1/snapshots/").json()["results"][0]["download_url"] is None


# --- A snapshot never stays "running" ----------------------------------------


def test_an_unexpected_error_marks_the_snapshot_failed_with_the_reason(dataset, monkeypatch):
    from exchange import snapshots

    def explode(target):
        raise RuntimeError("serializer on fire")

    monkeypatch.setattr(snapshots, "write_archive", explode)
    snapshot = Snapshot.objects.create()
    services.snapshot_run(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.status == SnapshotStatus.FAILED
    assert snapshot.error.startswith("Unexpected error (RuntimeError: serializer on fire)")


def test_the_lease_of_a_running_snapshot_counts_from_its_start_not_its_creation(dataset):
    from django.utils import timezone

    long_ago = timezone.now() - datetime.timedelta(days=1)
    snapshot = Snapshot.objects.create()
    Snapshot.objects.filter(pk=snapshot.pk).update(
        status=SnapshotStatus.RUNNING, created_at=long_ago, started_at=timezone.now()
    )
    assert services.snapshot_run(snapshot_id=snapshot.pk).status == SnapshotStatus.RUNNING  # left to its worker
    Snapshot.objects.filter(pk=snapshot.pk).update(started_at=long_ago)
    assert services.snapshot_run(snapshot_id=snapshot.pk).status == SnapshotStatus.READY  # taken over


def test_the_sweep_fails_a_snapshot_running_past_its_time_limit(settings):
    from django.utils import timezone

    snapshot = Snapshot.objects.create()
    started = timezone.now() - datetime.timedelta(seconds=settings.SNAPSHOT_TASK_TIME_LIMIT + 60)
    Snapshot.objects.filter(pk=snapshot.pk).update(status=SnapshotStatus.RUNNING, started_at=started)
    assert services.jobs_fail_stalled() == 0  # within the grace a redelivered task may still take it over
    Snapshot.objects.filter(pk=snapshot.pk).update(started_at=started - datetime.timedelta(hours=1))
    assert services.jobs_fail_stalled() == 1
    snapshot.refresh_from_db()
    assert snapshot.status == SnapshotStatus.FAILED and "past its time limit" in snapshot.error
