"""The vocabulary of background jobs, webhooks and snapshots, defined once."""

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    IMPORTED = "imported", "Imported, awaiting review"
    PUBLISHED = "published", "Reviewed and published"
    FAILED = "failed", "Failed"
    NOT_QUEUED = "not_queued", "Could not be queued"


class WebhookEvent(models.TextChoices):
    """The kinds of change a consumer can subscribe to."""

    PROVISION_CHANGED = "provision.changed", "Provision changed (text, status, lineage, territories)"
    POSITION_CHANGED = "position.changed", "Position added or changed"
    VERSION_PUBLISHED = "version.published", "Version published (new, or now proposed, under negotiation or agreed)"
    VERSION_CHANGED = "version.changed", "Version details changed"
    EVENT_CHANGED = "event.changed", "Event added or changed"
    CLAIM_CHANGED = "claim.changed", "Claim or account added or changed"
    TERRITORY_CHANGED = "territory.changed", "Territory or control observation changed"
    REFERENCE_CHANGED = "reference.changed", "Plan, actor or source changed"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Failed, will retry"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed, gave up"
    SKIPPED = "skipped", "Held (subscription paused; sent on resume)"


class SnapshotStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    NOT_QUEUED = "not_queued", "Could not be queued"


class SnapshotTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Daily schedule"
    EDITOR = "editor", "Editor"
    COMMAND = "command", "Command line"
