"""A QuerySet whose bulk writes validate and record history exactly as save() does.

django-simple-history records a row on save() and delete() through signals,
which `QuerySet.update()`, `bulk_create()` and `bulk_update()` never send; and
those calls skip `full_clean()` and `save()` (so fields a model derives on save,
such as `Provision.sort_key`, would go stale). Every editorial model uses this
QuerySet, so those calls validate each object, recompute derived fields and
record history too; a ValidationError leaves nothing saved.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from .locking import lock_before_writing


def derived_field_names(model: type[models.Model]) -> list[str]:
    """Fields the model computes on save (`RecordedModel.DERIVED_FIELDS`)."""
    return list(getattr(model, "DERIVED_FIELDS", ()))


def validate_for_bulk(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """What save_recorded() checks, for every object of a bulk write.

    Recomputes derived fields and runs full_clean() on each object (the first
    error is raised as it is), then checks the unique fields and constraints
    across the batch itself, which the database check in full_clean() cannot
    see (two rows of one batch both numbered 1).
    """
    for obj in objs:
        if hasattr(obj, "set_derived_fields"):
            obj.set_derived_fields()
        obj.full_clean()
    opts = model._meta
    groups = [([field.name], None) for field in opts.concrete_fields if field.unique and not field.primary_key] + [
        (list(constraint.fields), constraint) for constraint in opts.total_unique_constraints
    ]
    default_message = models.UniqueConstraint.default_violation_error_message
    for names, constraint in groups:
        attnames = [opts.get_field(name).attname for name in names]
        keys = [tuple(getattr(obj, attname) for attname in attnames) for obj in objs]
        counts = Counter(key for key in keys if None not in key)
        if any(count > 1 for count in counts.values()):
            message = getattr(constraint, "violation_error_message", None)
            if not message or message == default_message:
                message = f"Two records written together have the same {', '.join(names)}."
            raise ValidationError(message)


class HistoryRecordingQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        for name, value in kwargs.items():
            if hasattr(value, "resolve_expression"):
                raise TypeError(
                    f"update({name}=<expression>) cannot be recorded in history; "
                    "load the rows and set plain values instead."
                )
        with transaction.atomic(using=self.db):
            # The one lock order (history/locking.py): the change-log lock, then the rows
            # by primary key, and only these rows (of=self), never those of a joined table.
            lock_before_writing(self.db)
            objs = list(self.select_for_update(of=("self",)).order_by("pk"))
            for obj in objs:
                for name, value in kwargs.items():
                    setattr(obj, name, value)
            if objs:
                self.model._default_manager.using(self.db).bulk_update(objs, list(kwargs))
        return len(objs)

    def bulk_update(self, objs: Iterable[models.Model], fields: Sequence[str], batch_size: int | None = None) -> int:
        from .recording import record_bulk

        objs = list(objs)
        fields = list(fields)
        # What the caller changed is what the change log lists; derived fields follow.
        changed = list(fields)
        for name in derived_field_names(self.model):
            if name not in fields:
                fields.append(name)
        # bulk_update() skips auto_now; keep updated_at honest for the API and feeds.
        if any(field.name == "updated_at" for field in self.model._meta.concrete_fields):
            now = timezone.now()
            for obj in objs:
                obj.updated_at = now
            if "updated_at" not in fields:
                fields.append("updated_at")
        # Django's bulk_update calls update() internally; a plain QuerySet keeps
        # that inner call from coming back here.
        plain = models.QuerySet(model=self.model, using=self.db)
        with transaction.atomic(using=self.db):
            # Validation (a query or more per object) before the change-log lock, which
            # then stays held until commit: other editors wait only for the write itself.
            validate_for_bulk(self.model, objs)
            lock_before_writing(self.db)
            rows = plain.bulk_update(sorted(objs, key=lambda obj: obj.pk), fields, batch_size=batch_size)
            record_bulk(self.model, objs, action="updated", fields=changed)
        return rows

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        from .recording import record_bulk

        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise TypeError("bulk_create with conflict handling cannot be recorded in history.")
        objs = list(objs)
        with transaction.atomic(using=self.db):
            validate_for_bulk(self.model, objs)
            lock_before_writing(self.db)
            created = super().bulk_create(objs, *args, **kwargs)
            record_bulk(self.model, created, action="created")
        return created
