"""Writes for imports, webhooks and snapshots. Tasks, the admin, the API and the
commands call these; none of them repeats a rule."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from history.locking import WriteContention, lock_change_log, run_write
from history.models import Change, ChangeReason
from history.recording import change_log_appended_last
from history.records import history_row
from history.writing import save_recorded
from provisions import importing
from provisions.models import Lineage, Plan, Version
from provisions.services import lineage_confirm

from . import snapshots, webhooks
from .choices import DeliveryStatus, JobStatus, SnapshotStatus, SnapshotTrigger, SubscriptionStatus
from .models import DeliveryAttempt, ImportJob, Snapshot, WebhookDelivery, WebhookSubscription
from .queueing import QUEUE_FAILED_MESSAGE, TaskName, enqueue, enqueue_on_commit, runs_inline

logger = logging.getLogger(__name__)


def one_line(error: ValidationError) -> str:
    """A validation error as one line, naming the field of each message ("Label: …")."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, errors in error.message_dict.items():
        prefix = "" if name == "__all__" else f"{name.replace('_', ' ').capitalize()}: "
        parts.append(prefix + " ".join(errors))
    return " ".join(parts)


# --- Importing a draft -------------------------------------------------------


class JobBusy(Exception):
    """Another worker holds the job; look again once its lease has run out."""

    def __init__(self, retry_in: int) -> None:
        super().__init__(f"running elsewhere, retry in {retry_in}s")
        self.retry_in = retry_in


def import_check(*, plan: Plan, label: str, dated: date, text: str, revises: Version | None = None) -> int:
    """The checks an editor hears about at once (the import repeats them, race-safe).

    Returns the number of points found; raises ValidationError keyed by field.
    """
    errors: dict[str, str] = {}
    label_limit = ImportJob._meta.get_field("label").max_length
    if not label.strip():
        errors["label"] = "Give the new version a label."
    elif len(label.strip()) > label_limit:
        errors["label"] = f"A label has at most {label_limit} characters; this one has {len(label.strip())}."
    elif Version.objects.filter(plan=plan, label=label.strip()).exists():
        errors["label"] = f"“{plan}” already has a version labelled “{label.strip()}”."
    if revises is not None and dated and revises.dated > dated:
        errors["revises"] = f"“{revises.label}” ({revises.dated}) is later than {dated}: pick an earlier version."
    found = 0
    try:
        found = len(importing.parse_draft(text).points)
    except ValidationError as error:
        errors["text"] = one_line(error)
    if errors:
        raise ValidationError(errors)
    return found


def import_job_record(
    *,
    plan: Plan,
    label: str,
    dated: date,
    text: str,
    revises: Version | None = None,
    text_basis: str = importing.TextBasis.LEAKED,
    source_name: str = "",
    user: Any = None,
) -> ImportJob:
    """Record an import request (queued, not yet sent to a worker)."""
    job = ImportJob(
        plan=plan,
        label=label.strip(),
        dated=dated,
        text=text,
        revises=revises,
        text_basis=text_basis,
        source_name=source_name,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        stage="Waiting for a worker",
    )
    job.full_clean()
    job.save()
    return job


@transaction.atomic
def import_job_submit(**request: Any) -> ImportJob:
    """Record the request (see `import_job_record`) and queue the import once committed.

    If the broker is down the job says so ("could not be queued"); nothing else is written.
    """
    job = import_job_record(**request)
    enqueue_on_commit(TaskName.RUN_IMPORT, job.pk, on_failure=lambda: _import_not_queued(job.pk))
    return job


def _import_not_queued(job_id: int) -> None:
    ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.NOT_QUEUED, stage="", error=QUEUE_FAILED_MESSAGE, finished_at=timezone.now()
    )


def _set_progress(job_id: int, progress: int, stage: str) -> None:
    # Outside the import's transaction, so the admin page sees it while the task runs; run
    # again if it found the table locked (SQLite) rather than fail the import over a progress bar.
    job = ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING)
    run_write(lambda: job.update(progress=progress, stage=stage), lock_first=False)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued import: parse, propose lineage, create the version in one transaction.

    Idempotent: a job already imported, failed or published is left as it is, so a
    second delivery of the task does nothing. A job another worker is running raises
    JobBusy until its lease (the task's time limit) has run out.
    Validation failures (empty text, no points, label taken) mark the job failed
    with the reason, and nothing of the version remains.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, started_at__lt=now - lease))
        .update(status=JobStatus.RUNNING, started_at=now, progress=5, stage="Reading the text", error="")
    )
    job = ImportJob.objects.select_related("plan", "revises", "created_by").filter(pk=job_id).first()
    if job is None:
        return None
    if not claimed:
        if job.status == JobStatus.RUNNING:
            raise JobBusy(retry_in=max(1, int((job.started_at + lease - now).total_seconds()) + 1))
        return job
    try:
        draft = importing.parse_draft(job.text)
        _set_progress(job_id, 15, f"Found {len(draft.points)} points; comparing them with the earlier version")
        old = importing.earlier_points(job.revises)
        last = [15]

        def on_compared(done: int, total: int) -> None:
            percent = 15 + int(70 * done / max(total, 1))
            if percent >= last[0] + 5:
                last[0] = percent
                _set_progress(job_id, percent, f"Compared {done} of {total} points")

        proposal = importing.propose_lineage(draft.points, old, progress=on_compared)
        _set_progress(job_id, 90, "Creating the version and its points")
        run_write(lambda: _create_imported(job, draft, proposal), lock_first=False)
    except ValidationError as error:
        _import_failed(job, one_line(error))
    except IntegrityError:
        # Two imports raced for one label: the database refused the second.
        logger.warning("Import job %s hit an integrity error", job_id, exc_info=True)
        if Version.objects.filter(plan_id=job.plan_id, label=job.label).exists():
            reason = f"“{job.plan}” already has a version labelled “{job.label}” (created meanwhile)."
        else:
            reason = "The database refused the new version: a conflicting record was written meanwhile."
        reason += " Nothing was created."
        _import_failed(job, reason)
    except WriteContention:
        _import_failed(job, "Other editors' writes kept colliding with the import; nothing was created. Run it again.")
    except SoftTimeLimitExceeded:
        _import_failed(job, "The import took longer than its time limit and was stopped; nothing was created.")
    except Exception as error:  # the editor must see a failure, never a job stuck "running"
        logger.exception("Import job %s failed", job_id)
        _import_failed(job, f"Unexpected error ({type(error).__name__}); nothing was created. Details are in the log.")
    return job


def _create_imported(job: ImportJob, draft: importing.Draft, proposal: importing.LineageProposal) -> None:
    """The import's write, after parsing and alignment: its change-log rows are appended
    last, so the global change-log lock is held only from that append to the commit and
    editors' writes meanwhile go ahead (`run_write` runs it again if it loses a deadlock)."""
    with change_log_appended_last():
        result = importing.create_imported_version(
            plan=job.plan,
            label=job.label,
            dated=job.dated,
            draft=draft,
            proposal=proposal,
            revises=job.revises,
            text_basis=job.text_basis,
            user=job.created_by,
        )
    job.version = result.version
    job.report = result.report
    job.status = JobStatus.IMPORTED
    job.progress = 100
    job.stage = "Imported: review the proposed links, then publish"
    job.finished_at = timezone.now()
    job.save(update_fields=["version", "report", "status", "progress", "stage", "finished_at"])


def _import_failed(job: ImportJob, message: str) -> None:
    job.status = JobStatus.FAILED
    job.error = message
    job.stage = "Failed"
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "stage", "finished_at"])


@transaction.atomic
def import_job_publish(*, job: ImportJob, user: Any = None) -> int:
    """Accept the review: confirm the links still proposed and mark the job published.

    Links the editor changed or deleted are taken as they now are. The version gets a
    history row "Import reviewed and published" (by `user`), which is its
    `version.published` change. Returns the number of links confirmed here.
    """
    lock_change_log()  # the one lock order (history/locking.py): before the job's row
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.IMPORTED:
        raise ValidationError(
            f"Only an import awaiting review can be published; this one is “{job.get_status_display()}”."
        )
    if job.version_id is None:
        raise ValidationError("The imported version no longer exists.")
    pending = Lineage.objects.filter(provision__version_id=job.version_id, confirmed=False)
    confirmed = lineage_confirm(links=pending, user=user)
    # The recorded write that publishes the version (its `version.published` webhook): the
    # creation was only "imported for review".
    version = Version.objects.get(pk=job.version_id)
    version._change_reason = ChangeReason.IMPORT_PUBLISHED
    save_recorded(version, user=user)
    job.status = JobStatus.PUBLISHED
    job.published_at = timezone.now()
    job.published_by = user if getattr(user, "is_authenticated", False) else None
    job.stage = "Published"
    job.save(update_fields=["status", "published_at", "published_by", "stage"])
    return confirmed


# --- Webhooks ----------------------------------------------------------------


@transaction.atomic
def webhook_subscription_create(
    *, url: str, event_kinds: list[str], description: str = "", user: Any = None
) -> WebhookSubscription:
    """A new active subscription with a freshly generated secret (shown to its owner once).

    It follows the change log from its current end: every change committed after it
    was registered is sent to it, none from before.
    """
    subscription = WebhookSubscription(
        url=url,
        event_kinds=list(dict.fromkeys(event_kinds)),
        description=description,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    webhook_subscription_validate(subscription)
    # Change ids grow in commit order, so a change not yet committed gets a larger id than this.
    subscription.cursor = Change.objects.aggregate(last=Max("id"))["last"] or 0
    subscription.save()
    return subscription


def webhook_subscription_validate(subscription: WebhookSubscription) -> None:
    """Field rules plus: at least one known event kind; https only in production; a public
    address (not private, loopback, link-local, multicast, reserved or unspecified)."""
    from .choices import WebhookEvent

    subscription.full_clean()
    kinds = subscription.event_kinds if isinstance(subscription.event_kinds, list) else None
    if not kinds:
        raise ValidationError({"event_kinds": "Choose at least one kind of change."})
    if unknown := sorted(set(map(str, kinds)) - set(WebhookEvent.values)):
        raise ValidationError({"event_kinds": f"Unknown kind(s): {', '.join(unknown)}."})
    if not settings.WEBHOOK_ALLOW_HTTP and not subscription.url.startswith("https://"):
        raise ValidationError({"url": "Webhook addresses must use https://."})
    try:
        webhooks.check_target(subscription.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    except webhooks.TargetRefused as refused:
        raise ValidationError({"url": str(refused)}) from None


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, **fields: Any) -> WebhookSubscription:
    """Change the address, description or kinds; validation errors leave it untouched."""
    unknown = set(fields) - {"url", "description", "event_kinds"}
    if unknown:
        raise ValidationError(f"Cannot update: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(subscription, name, list(dict.fromkeys(value)) if name == "event_kinds" else value)
    webhook_subscription_validate(subscription)
    subscription.save(update_fields=list(fields))
    return subscription


def webhook_subscription_pause(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    WebhookSubscription.objects.filter(pk=subscription.pk, status=SubscriptionStatus.ACTIVE).update(
        status=SubscriptionStatus.PAUSED, paused_at=timezone.now(), paused_reason=reason[:300]
    )
    subscription.refresh_from_db()
    return subscription


def webhook_subscription_resume(*, subscription: WebhookSubscription) -> int:
    """Activate again and resend what it missed, in change order: deliveries held while it
    was paused, and those given up while the receiver failed.

    Returns how many deliveries were queued again.
    """
    with transaction.atomic():
        # The subscription's lock first (as `webhook_subscription_follow` and `webhook_deliver`
        # take it), then its deliveries.
        WebhookSubscription.objects.select_for_update().filter(pk=subscription.pk).update(
            status=SubscriptionStatus.ACTIVE, failure_count=0, paused_at=None, paused_reason=""
        )
        missed = list(
            WebhookDelivery.objects.filter(
                subscription=subscription, status__in=[DeliveryStatus.SKIPPED, DeliveryStatus.FAILED]
            )
            .order_by("change_id", "id")
            .values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=missed).update(
            status=DeliveryStatus.PENDING, attempts=0, sending_since=None
        )
        for pk in missed:
            enqueue_on_commit(TaskName.DELIVER_WEBHOOK, pk)
    subscription.refresh_from_db()
    return len(missed)


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    from .models import _new_secret

    subscription.secret = _new_secret()
    subscription.save(update_fields=["secret"])
    return subscription.secret


def _version_state_after(change: Change) -> Any:
    return history_row(change)


def on_changes_recorded(sender: Any, changes: Sequence[Change], using: str, **kwargs: Any) -> None:
    """Receiver of `history.recording.changes_recorded`: follow the change log once the write commits.

    Does no query itself. Nothing is written in the editor's transaction: every
    subscription finds the change by its cursor, here after commit or, if this process
    dies first, in the periodic sweep.
    """
    if any(change.record_type in webhooks.RECORD_EVENTS for change in changes):
        transaction.on_commit(webhooks_dispatch, using=using)


# Changes matched per transaction while a subscription catches up.
FOLLOW_BATCH = 500


def webhook_subscription_follow(*, subscription_id: int, events: dict[int, str | None] | None = None) -> list[int]:
    """Bring one subscription up to the end of the change log: a delivery row for every change
    after its cursor that it wants (pending if active, held if paused), and the cursor moved
    past them, in the same transaction, under the subscription's row lock.

    The change log's ids grow in commit order, so nothing behind the cursor can appear
    later: a subscription never misses a change, and one registered, changed or deleted
    meanwhile never costs another its deliveries. `events` caches each change's event
    across subscriptions. Returns the ids of the new pending deliveries, in change order.
    """
    events = {} if events is None else events
    pending: list[int] = []
    while True:
        with transaction.atomic():
            subscription = (
                WebhookSubscription.objects.select_for_update()
                .only("id", "event_kinds", "status", "cursor")
                .filter(pk=subscription_id)
                .first()
            )
            if subscription is None:  # deleted meanwhile: nothing to follow
                return pending
            changes = list(
                Change.objects.filter(id__gt=subscription.cursor)
                .only("id", "record_type", "action", "history_id", "changed_fields")
                .order_by("id")[:FOLLOW_BATCH]
            )
            if not changes:
                return pending
            active = subscription.status == SubscriptionStatus.ACTIVE
            # Rows already there (a cursor set back by hand) are kept as they are.
            existing = set(
                WebhookDelivery.objects.filter(
                    subscription_id=subscription_id, change_id__gte=changes[0].pk, change_id__lte=changes[-1].pk
                ).values_list("change_id", flat=True)
            )
            rows = []
            for change in changes:
                if change.pk not in events:
                    events[change.pk] = webhooks.event_for(change, _version_state_after)
                event = events[change.pk]
                if event is not None and event in subscription.event_kinds and change.pk not in existing:
                    rows.append(
                        WebhookDelivery(
                            subscription_id=subscription_id,
                            change_id=change.pk,
                            event=event,
                            idempotency_key=WebhookDelivery.key_for(subscription_id, change.pk),
                            status=DeliveryStatus.PENDING if active else DeliveryStatus.SKIPPED,
                        )
                    )
            WebhookDelivery.objects.bulk_create(rows)
            WebhookSubscription.objects.filter(pk=subscription_id).update(cursor=changes[-1].pk)
            if active:
                pending += [row.pk for row in rows]
        if len(changes) < FOLLOW_BATCH:
            return pending


def _follow_all() -> list[int]:
    """Every subscription brought up to the end of the change log; each in its own
    transaction, so one that fails (or was deleted) costs the others nothing."""
    subscription_ids = list(WebhookSubscription.objects.order_by("id").values_list("pk", flat=True))
    events: dict[int, str | None] = {}
    pending: list[int] = []
    for subscription_id in subscription_ids:
        try:
            pending += webhook_subscription_follow(subscription_id=subscription_id, events=events)
        except Exception:  # the others still get theirs; this one's cursor did not move
            logger.exception("Could not follow the change log for webhook subscription %s", subscription_id)
    return pending


def webhooks_dispatch() -> list[int]:
    """After a commit: every subscription follows the change log (`webhook_subscription_follow`)
    and the new pending deliveries are sent; a paused subscription's are held (sent, in
    order, on resume).

    One query when nobody subscribes. Deliveries are rows first, so one that the broker
    refused is still pending and `webhooks_requeue_stalled` sends it later.
    Returns the ids of the deliveries queued.
    """
    try:
        ids = _follow_all()
    except Exception:  # the edit is committed; a webhook problem must not turn it into an error page
        logger.exception("Could not prepare webhook deliveries")
        return []
    _send_deliveries(ids)
    return ids


def _send_deliveries(ids: list[int]) -> int:
    if runs_inline():
        return _send_inline(ids)
    for sent, pk in enumerate(ids):
        if not enqueue(TaskName.DELIVER_WEBHOOK, pk):
            # The broker is down: the rest stay pending for the next sweep.
            return sent
    return len(ids)


# Embedded mode: receivers whose inline POST failed, and when (monotonic seconds).
_inline_failures: dict[tuple[int, str], float] = {}
INLINE_QUIET_SECONDS = 60.0


def _send_inline(ids: list[int]) -> int:
    """The embedded mode (no broker): POST in the editor's request, in change order, each with
    the short WEBHOOK_EAGER_TIMEOUT_SECONDS. A receiver that failed is not tried again inline
    for INLINE_QUIET_SECONDS: its deliveries stay pending for a worker's sweep, so a dead
    receiver costs an import one short wait, not one per point."""
    sent = 0
    rows = (
        WebhookDelivery.objects.filter(pk__in=ids)
        .order_by("change_id", "id")
        .values_list("pk", "subscription_id", "subscription__url")
    )
    for pk, subscription_id, url in rows:
        key = (subscription_id, url)
        failed_at = _inline_failures.get(key)
        if failed_at is not None and time.monotonic() - failed_at < INLINE_QUIET_SECONDS:
            continue
        outcome = webhook_deliver(delivery_id=pk, timeout=settings.WEBHOOK_EAGER_TIMEOUT_SECONDS)
        sent += 1
        if outcome.delivered:
            _inline_failures.pop(key, None)
        else:
            _inline_failures[key] = time.monotonic()
    return sent


@dataclass(frozen=True)
class DeliveryOutcome:
    done: bool
    retry_in: float | None = None
    delivered: bool = False


def _backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: base, 2×base, 4×base… capped."""
    return min(settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def _sending_lease() -> timedelta:
    # Longer than any POST can take (the task's time limit): a claim older than this was lost.
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)


_OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Under the delivery's row lock: the delivery, now marked as being sent by this worker,
    or None if there is nothing to send (already delivered or given up, being sent by
    another worker, or held because its subscription is paused)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status not in _OPEN:
            return None
        if delivery.sending_since is not None and delivery.sending_since > now - _sending_lease():
            return None  # another worker is POSTing it (an acks_late redelivery, the sweep)
        subscription = WebhookSubscription.objects.get(pk=delivery.subscription_id)
        if subscription.status != SubscriptionStatus.ACTIVE:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SKIPPED)
            return None
        delivery.sending_since = now
        delivery.save(update_fields=["sending_since"])
    delivery.subscription = subscription
    return delivery


def webhook_deliver(*, delivery_id: int, timeout: float | None = None) -> DeliveryOutcome:
    """POST one delivery once, log the attempt and decide what comes next.

    The delivery is claimed under its row lock before the POST, so a second copy of the
    task (an `acks_late` redelivery, the sweep) sends nothing while this one is on the
    wire, and nothing once it is delivered or given up. After the POST the state is read
    again under the lock: an outcome that arrives after another worker settled the
    delivery changes nothing (a late failure never turns "delivered" into a retry, nor
    counts against the subscription). A paused subscription's delivery is held until it
    resumes. After WEBHOOK_MAX_ATTEMPTS failures the delivery is given up; when
    WEBHOOK_PAUSE_AFTER_FAILURES deliveries in a row have been given up the subscription
    is paused. A failed attempt that will be retried pauses nothing, so a burst of
    changes to a receiver down for a minute only waits for the backoff.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return DeliveryOutcome(done=True)
    subscription = delivery.subscription
    change = Change.objects.get(pk=delivery.change_id)
    body = json.dumps(
        webhooks.payload_for(change, delivery.event), cls=DjangoJSONEncoder, separators=(",", ":")
    ).encode()
    key = str(delivery.idempotency_key)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AccordTracker-Webhooks/1",
        webhooks.SIGNATURE_HEADER: webhooks.sign(subscription.secret, body, int(time.time())),
        webhooks.IDEMPOTENCY_HEADER: key,
        webhooks.STANDARD_IDEMPOTENCY_HEADER: key,
        webhooks.EVENT_HEADER: delivery.event,
    }
    result = webhooks.post(
        subscription.url,
        body,
        headers,
        timeout=timeout or settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    )
    return _settle(delivery.pk, subscription.pk, result)


def _settle(delivery_id: int, subscription_id: int, result: webhooks.PostResult) -> DeliveryOutcome:
    """Log the attempt and apply its outcome, under the subscription's then the delivery's lock."""
    now = timezone.now()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if subscription is None or delivery is None:  # deleted while the POST was on the wire
            return DeliveryOutcome(done=True, delivered=result.succeeded)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.sending_since = None
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=now,
            succeeded=result.succeeded,
            response_code=result.response_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        retry_in = None
        if delivery.status not in _OPEN:
            pass  # settled by another worker meanwhile: this outcome changes nothing
        elif result.succeeded:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            subscription.failure_count = 0
            subscription.last_success_at = now
        elif subscription.status != SubscriptionStatus.ACTIVE:
            delivery.status = DeliveryStatus.SKIPPED  # paused meanwhile: held until it resumes
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            subscription.failure_count += 1  # deliveries in a row given up
            if subscription.failure_count >= settings.WEBHOOK_PAUSE_AFTER_FAILURES:
                subscription.status = SubscriptionStatus.PAUSED
                subscription.paused_at = now
                subscription.paused_reason = (
                    f"Paused after {subscription.failure_count} deliveries in a row failed all "
                    f"{delivery.attempts} attempts (last: {result.error})."
                )[:300]
        else:
            delivery.status = DeliveryStatus.RETRYING
            retry_in = _backoff(delivery.attempts)
        delivery.save()
        subscription.save()
    return DeliveryOutcome(done=retry_in is None, retry_in=retry_in, delivered=result.succeeded)


def webhooks_requeue_stalled() -> int:
    """The periodic sweep: bring every subscription up to the end of the change log (changes
    whose dispatch after commit never ran), then queue again deliveries nobody is working
    on: never sent (broker was down), or waiting for a retry far longer than any backoff
    (the retry message was lost)."""
    followed = _follow_all()
    now = timezone.now()
    stalled = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, attempts=0, created_at__lt=now - timedelta(minutes=2))
        | Q(
            status=DeliveryStatus.RETRYING,
            last_attempt_at__lt=now - timedelta(seconds=2 * settings.WEBHOOK_RETRY_MAX_SECONDS + 60),
        ),
        subscription__status=SubscriptionStatus.ACTIVE,
    ).order_by("id")
    ids = list(dict.fromkeys([*followed, *stalled.values_list("pk", flat=True)[:1000]]))
    return _send_deliveries(ids)


# --- Snapshots ---------------------------------------------------------------


@transaction.atomic
def snapshot_request(*, user: Any = None, trigger: str = SnapshotTrigger.EDITOR) -> Snapshot:
    """Record a snapshot request and queue it after commit ("could not be queued" if the broker is down)."""
    snapshot = Snapshot.objects.create(
        trigger=trigger, created_by=user if getattr(user, "is_authenticated", False) else None
    )
    enqueue_on_commit(TaskName.MAKE_SNAPSHOT, snapshot.pk, on_failure=lambda: _snapshot_not_queued(snapshot.pk))
    return snapshot


def _snapshot_not_queued(snapshot_id: int) -> None:
    Snapshot.objects.filter(pk=snapshot_id, status=SnapshotStatus.QUEUED).update(
        status=SnapshotStatus.NOT_QUEUED, error=QUEUE_FAILED_MESSAGE
    )


def snapshot_run(*, snapshot_id: int) -> Snapshot | None:
    """Write the archive of a queued snapshot. Idempotent: a ready snapshot is left alone.

    Any failure marks the snapshot failed with the reason (never left "running");
    OSError (disk full, storage down) then propagates so the task can retry it.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.SNAPSHOT_TASK_TIME_LIMIT)
    claimed = (
        Snapshot.objects.filter(pk=snapshot_id)
        .filter(
            Q(status__in=[SnapshotStatus.QUEUED, SnapshotStatus.FAILED])
            | Q(status=SnapshotStatus.RUNNING, started_at__lt=now - lease)
        )
        .update(status=SnapshotStatus.RUNNING, started_at=now, error="")
    )
    snapshot = Snapshot.objects.filter(pk=snapshot_id).first()
    if snapshot is None or not claimed:
        return snapshot
    try:
        with tempfile.TemporaryFile() as archive:
            manifest = snapshots.write_archive(archive)
            archive.seek(0)
            digest = hashlib.sha256()
            for chunk in iter(lambda: archive.read(1 << 20), b""):
                digest.update(chunk)
            size = archive.tell()
            archive.seek(0)
            made_at = manifest["made_at"]
            name = f"accord-snapshot-{made_at[:19].replace(':', '').replace('-', '')}-{snapshot.pk}.zip"
            snapshot.file.save(name, File(archive), save=False)
    except OSError as error:
        _snapshot_failed(snapshot_id, f"Storage error: {error}")
        raise
    except SoftTimeLimitExceeded:
        _snapshot_failed(snapshot_id, "The snapshot took longer than its time limit and was stopped.")
        return Snapshot.objects.filter(pk=snapshot_id).first()
    except Exception as error:  # never leave it "running"
        logger.exception("Snapshot %s failed", snapshot_id)
        _snapshot_failed(snapshot_id, f"Unexpected error ({type(error).__name__}: {error}). Details are in the log.")
        return Snapshot.objects.filter(pk=snapshot_id).first()
    snapshot.sha256 = digest.hexdigest()
    snapshot.size_bytes = size
    snapshot.record_counts = manifest["record_counts"]
    snapshot.made_at = datetime.fromisoformat(manifest["made_at"])
    snapshot.status = SnapshotStatus.READY
    snapshot.save()
    snapshot_prune(keep=settings.SNAPSHOT_KEEP, keep_days=settings.SNAPSHOT_KEEP_DAYS)
    return snapshot


def _snapshot_failed(snapshot_id: int, reason: str) -> None:
    Snapshot.objects.filter(pk=snapshot_id).update(status=SnapshotStatus.FAILED, error=reason[:1000])


# A job is declared dead this long after its lease (its task's time limit) ran out, so a
# redelivered task that takes over at the end of the lease always wins the race.
STALLED_GRACE_SECONDS = 300


def jobs_fail_stalled() -> int:
    """Mark failed, with the reason, imports and snapshots still "running" well past their
    time limit: the worker was killed (hard time limit, out of memory) or lost, and no
    task will ever finish them. Returns how many were marked."""
    now = timezone.now()
    import_limit = settings.IMPORT_TASK_TIME_LIMIT
    imports = ImportJob.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=now - timedelta(seconds=import_limit + STALLED_GRACE_SECONDS)
    ).update(
        status=JobStatus.FAILED,
        stage="Failed",
        finished_at=now,
        error=(
            f"The import was still running {import_limit // 60} minutes after it started, past its time limit: "
            "its worker was stopped or lost. Nothing was created; submit the text again."
        ),
    )
    snapshot_limit = settings.SNAPSHOT_TASK_TIME_LIMIT
    stalled_snapshots = Snapshot.objects.filter(
        status=SnapshotStatus.RUNNING, started_at__lt=now - timedelta(seconds=snapshot_limit + STALLED_GRACE_SECONDS)
    ).update(
        status=SnapshotStatus.FAILED,
        error=(
            f"The snapshot was still running {snapshot_limit // 60} minutes after it started, past its time limit: "
            "its worker was stopped or lost. Make a new one."
        ),
    )
    return imports + stalled_snapshots


def snapshot_daily(*, day: date) -> Snapshot | None:
    """The scheduled snapshot for `day` (one per day, however often beat fires; pruning as every snapshot)."""
    snapshot, _created = Snapshot.objects.get_or_create(
        scheduled_for=day, defaults={"trigger": SnapshotTrigger.SCHEDULE}
    )
    return snapshot_run(snapshot_id=snapshot.pk)


def snapshot_prune(*, keep: int, keep_days: int = 0) -> int:
    """The retention rule, applied each time a snapshot is made: ready snapshots (scheduled or
    not) beyond the newest `keep` are deleted with their files, except those made within the
    last `keep_days` days (0: no such exception). Returns how many were deleted."""
    old = Snapshot.objects.filter(status=SnapshotStatus.READY).order_by("-made_at", "-id")[keep:]
    if keep_days > 0:
        recent = timezone.now() - timedelta(days=keep_days)
        old = [snapshot for snapshot in old if snapshot.made_at is None or snapshot.made_at < recent]
    old = list(old)
    for snapshot in old:
        if snapshot.file:
            snapshot.file.delete(save=False)
        snapshot.delete()
    return len(old)
