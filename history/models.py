"""The change log: one row per recorded create, update or delete, in commit order."""

from django.conf import settings
from django.db import models


class ChangeAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


# Changes to what was already on record (the timeline lists these; it has its own entries for creations).
EDIT_ACTIONS = [ChangeAction.UPDATED.value, ChangeAction.DELETED.value]


class ChangeReason(models.TextChoices):
    """Reasons a recorded write carries (its history row's `history_change_reason`) when a
    reader acts on them: the importer writes them, webhooks read them. Defined once here."""

    IMPORTED_FOR_REVIEW = "Imported draft, awaiting review"
    IMPORT_PUBLISHED = "Import reviewed and published"


class Change(models.Model):
    """One recorded write of an editorial record.

    Ids grow in commit order (writers take a transaction-wide lock before they
    add a row, see `recording.py`), so `id` is a safe cursor for the change feed.
    """

    record_type = models.CharField(
        max_length=100, db_index=True, help_text="app_label.model, e.g. provisions.provision"
    )
    object_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    history_id = models.BigIntegerField(help_text="Row of the model's history table holding the new state.")
    changed_fields = models.JSONField(default=list, blank=True)
    changed_at = models.DateTimeField(db_index=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["record_type", "object_id", "id"]),
            # "Latest changes" lists edits and deletions newest first; creations are most of the
            # log, so a partial index keeps that read a page's worth however long the log.
            models.Index(
                fields=["-changed_at", "-id"],
                name="change_edits_newest_first",
                condition=models.Q(action__in=EDIT_ACTIONS),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.record_type} {self.object_id}"


class RecordedModel(models.Model):
    """Base of every editorial record: timestamps, and bulk writes that keep history.

    Each concrete model declares its own `history = HistoricalRecords(...)`.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Fields save() computes from the record's other fields; bulk writes, which
    # skip save(), recompute them through set_derived_fields() and write them too.
    DERIVED_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def set_derived_fields(self) -> None:
        """Compute DERIVED_FIELDS (a model that has some overrides this and calls it from save())."""
