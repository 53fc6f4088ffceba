"""The real thing: a Celery worker consuming the machine's Redis (not eager mode).

Skipped, with the reason, only when Redis cannot be reached.
"""

import datetime
import time

import pytest
from django.db import OperationalError

from exchange import services
from exchange.choices import DeliveryStatus, JobStatus, SnapshotStatus, SubscriptionStatus, WebhookEvent
from exchange.models import ImportJob, Snapshot, WebhookDelivery
from history.locking import retryable_reason
from provisions.importing import import_text
from provisions.models import Lineage
from tests.exchange.conftest import fixture_text
from tests.factories import PlanFactory, ProvisionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=30.0):
    """Poll until the worker has done its part (a deadline against a hang, not a speed check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OperationalError as error:
            # On SQLite's shared-cache test database a read fails at once while the worker
            # thread holds the table's write lock: the worker is mid-write, so not done yet.
            if retryable_reason(error) is None:
                raise
        time.sleep(0.1)
    pytest.fail("The worker did not finish in time.")


def test_a_worker_imports_a_draft_queued_on_commit(celery_worker_on_redis):
    plan = PlanFactory(slug="us-plan")
    draft = import_text(
        plan=plan, label="28-point draft", dated=datetime.date(2025, 11, 20), text=fixture_text("draft_28_points.txt")
    ).version
    job = services.import_job_submit(
        plan=plan,
        label="19-point revision",
        dated=datetime.date(2025, 11, 23),
        text=fixture_text("revision_19_points.md"),
        revises=draft,
    )
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished)
    job.refresh_from_db()
    assert job.status == JobStatus.IMPORTED, job.error
    assert job.report["counts"]["points"] == 19
    assert Lineage.objects.filter(provision__version=job.version, confirmed=False).count() == 21


def test_a_worker_delivers_signed_webhooks_retries_with_backoff_and_pauses(
    celery_worker_on_redis, receiver, failing_receiver, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.2
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    good = services.webhook_subscription_create(url=receiver.url, event_kinds=[WebhookEvent.PROVISION_CHANGED])
    bad = services.webhook_subscription_create(url=failing_receiver.url, event_kinds=[WebhookEvent.PROVISION_CHANGED])
    receiver.secret, failing_receiver.secret = good.secret, bad.secret
    point = ProvisionFactory()  # committed: the dispatch queues one delivery per subscription

    wait_for(lambda: len(receiver.received) == 1)
    assert receiver.received[0].signature_ok and receiver.received[0].json["record_id"] == point.pk
    wait_for(lambda: WebhookDelivery.objects.get(subscription=bad).status == DeliveryStatus.FAILED)
    bad.refresh_from_db()
    assert bad.status == SubscriptionStatus.PAUSED
    delivery = WebhookDelivery.objects.get(subscription=bad)
    attempts = list(delivery.attempt_log.values_list("number", "response_code"))
    assert attempts == [(1, 503), (2, 503), (3, 503)]
    assert len(failing_receiver.received) == 3 and all(r.signature_ok for r in failing_receiver.received)
    assert WebhookDelivery.objects.get(subscription=good).status == DeliveryStatus.DELIVERED


def test_a_worker_writes_a_snapshot(celery_worker_on_redis, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ProvisionFactory()
    snapshot = services.snapshot_request()
    wait_for(lambda: Snapshot.objects.get(pk=snapshot.pk).status == SnapshotStatus.READY)
    snapshot.refresh_from_db()
    assert snapshot.sha256 and snapshot.record_counts["provisions.provision"] == 1
    assert (tmp_path / snapshot.file.name).exists()
