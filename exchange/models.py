"""Background work: draft imports, webhook subscriptions and their deliveries, snapshots.

These are operational records, not editorial ones: they have no history and never
appear in the change feed.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, URLValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from provisions.choices import TextBasis

from .choices import DeliveryStatus, JobStatus, SnapshotStatus, SnapshotTrigger, SubscriptionStatus, WebhookEvent

webhook_url = URLValidator(schemes=["http", "https"], message="Enter a web address starting with http:// or https://.")


class ImportJob(models.Model):
    """One editor's request to turn a draft's text into a new version."""

    plan = models.ForeignKey("provisions.Plan", on_delete=models.PROTECT, related_name="import_jobs")
    label = models.CharField(max_length=200, help_text="The new version's label, unique within the plan.")
    dated = models.DateField("date", help_text="The date the text is from.")
    revises = models.ForeignKey(
        "provisions.Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The earlier version this text revises or answers; lineage is proposed against it.",
    )
    text_basis = models.CharField(
        "how the text is known", max_length=30, choices=TextBasis.choices, default=TextBasis.LEAKED
    )
    text = models.TextField()
    source_name = models.CharField("file name", max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    version = models.ForeignKey(
        "provisions.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="importjob_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"Import “{self.label}” ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status not in (JobStatus.QUEUED, JobStatus.RUNNING)


def _new_secret() -> str:
    return secrets.token_hex(32)


class WebhookSubscriptionQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete under the subscriptions' row locks (see `WebhookSubscription.delete`)."""
        with transaction.atomic():
            list(self.select_for_update().order_by("pk").values_list("pk", flat=True))
            return super().delete()


class WebhookSubscription(models.Model):
    """A consumer's URL and the kinds of change it wants POSTed to it."""

    url = models.URLField("URL", max_length=1000, validators=[webhook_url])
    description = models.CharField(max_length=200, blank=True)
    event_kinds = models.JSONField(default=list, help_text="Kinds of change to send.")
    secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE, db_index=True
    )
    failure_count = models.PositiveIntegerField(
        default=0, help_text="Deliveries in a row that failed every attempt (a success resets it)."
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    cursor = models.BigIntegerField(
        default=0,
        editable=False,
        help_text="The last change-log id matched against this subscription: it has a delivery row "
        "for every change it wants up to here, and follows the change log from here on.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description or self.url

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        # A dispatch adds deliveries under the subscription's row lock
        # (`services.webhook_subscription_follow`). Taking that lock first means no delivery
        # lands between Django collecting the deliveries to delete and deleting the
        # subscription, which would fail the commit on the delivery's foreign key.
        with transaction.atomic():
            WebhookSubscription.objects.select_for_update().filter(pk=self.pk).exists()
            return super().delete(*args, **kwargs)


class WebhookDelivery(models.Model):
    """One change sent to one subscription, however many attempts it takes."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    change = models.ForeignKey("history.Change", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30, choices=WebhookEvent.choices)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(
        null=True, blank=True, help_text="Set while a worker is POSTing it: no other worker sends it meanwhile."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "change"], name="delivery_once_per_change"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.change_id} → {self.subscription}"

    @staticmethod
    def key_for(subscription_id: int, change_id: int) -> uuid.UUID:
        """Stable per change and subscription, so a consumer can drop repeats."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"accord-tracker:webhook:{subscription_id}:{change_id}")


class DeliveryAttempt(models.Model):
    """One POST of a delivery: when, what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        outcome = self.response_code or self.error or "no answer"
        return f"Attempt {self.number}: {outcome}"


class Snapshot(models.Model):
    """A zip of the whole dataset (JSON and CSV per model, manifest with checksums)."""

    status = models.CharField(
        max_length=12, choices=SnapshotStatus.choices, default=SnapshotStatus.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=10, choices=SnapshotTrigger.choices, default=SnapshotTrigger.EDITOR)
    scheduled_for = models.DateField(
        null=True, blank=True, unique=True, help_text="For the daily snapshot: the day it is for (one per day)."
    )
    file = models.FileField(upload_to="snapshots/", blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    record_counts = models.JSONField(default=dict, blank=True)
    made_at = models.DateTimeField(null=True, blank=True, help_text="When the data was read.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last started writing it.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        when = f"{self.made_at:%Y-%m-%d %H:%M} UTC" if self.made_at else self.get_status_display()
        return f"Snapshot {self.pk} ({when})"

    @property
    def file_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def total_records(self) -> int:
        return sum(self.record_counts.values())

    def get_download_url(self) -> str:
        return reverse("exchange:snapshot_download", args=[self.pk])
