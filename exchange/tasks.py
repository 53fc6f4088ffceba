"""Celery tasks: thin wrappers that take ids and call a service.

Every task here is idempotent (a second delivery does nothing), so all use
`acks_late`: a worker lost mid-task hands the message to another.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services
from .queueing import TaskName


@shared_task(
    name=TaskName.RUN_IMPORT,
    bind=True,
    acks_late=True,
    max_retries=5,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
    soft_time_limit=settings.IMPORT_TASK_TIME_LIMIT - 30,
)
def run_import(self, job_id: int) -> str | None:
    """Import the draft of an ImportJob (see `services.import_job_run`)."""
    try:
        job = services.import_job_run(job_id=job_id)
    except services.JobBusy as busy:
        # Another worker holds it (a duplicate delivery): look again when its lease ends.
        raise self.retry(countdown=busy.retry_in) from None
    return job.status if job else None


@shared_task(
    name=TaskName.DELIVER_WEBHOOK,
    bind=True,
    acks_late=True,
    max_retries=settings.WEBHOOK_MAX_ATTEMPTS,
    time_limit=settings.WEBHOOK_TIMEOUT_SECONDS + 30,
    soft_time_limit=settings.WEBHOOK_TIMEOUT_SECONDS + 20,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one webhook delivery; on failure, try again later with exponential backoff."""
    # Inline (eager) mode posts inside the editor's request: a short timeout there.
    timeout = settings.WEBHOOK_EAGER_TIMEOUT_SECONDS if self.request.is_eager else None
    outcome = services.webhook_deliver(delivery_id=delivery_id, timeout=timeout)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Inline (eager) mode does not retry: it would block the editor's request.
        raise self.retry(countdown=outcome.retry_in)
    return "done" if outcome.done else "retry later"


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def requeue_stalled_deliveries() -> int:
    """Periodic: bring every subscription up to the end of the change log, and queue
    deliveries the broker never took or whose retry was lost."""
    return services.webhooks_requeue_stalled()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def fail_stalled_jobs() -> int:
    """Periodic: imports and snapshots still "running" long past their time limit (a worker
    killed by the hard limit, or lost) are marked failed with the reason."""
    return services.jobs_fail_stalled()


@shared_task(
    name=TaskName.MAKE_SNAPSHOT,
    bind=True,
    acks_late=True,
    max_retries=3,
    time_limit=settings.SNAPSHOT_TASK_TIME_LIMIT,
    soft_time_limit=settings.SNAPSHOT_TASK_TIME_LIMIT - 60,
)
def make_snapshot(self, snapshot_id: int) -> str | None:
    """Write the archive of one Snapshot row; retry storage errors with backoff."""
    try:
        snapshot = services.snapshot_run(snapshot_id=snapshot_id)
    except OSError as error:
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from None
    return snapshot.status if snapshot else None


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=3,
    time_limit=settings.SNAPSHOT_TASK_TIME_LIMIT,
    soft_time_limit=settings.SNAPSHOT_TASK_TIME_LIMIT - 60,
)
def make_daily_snapshot(self) -> str | None:
    """Periodic (CELERY_BEAT_SCHEDULE): today's snapshot, once, then pruning of old ones."""
    try:
        snapshot = services.snapshot_daily(day=timezone.localdate())
    except OSError as error:
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from None
    return snapshot.status if snapshot else None
