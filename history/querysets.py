"""A QuerySet whose bulk writes record history exactly as save() does.

django-simple-history records a row on save() and delete() through signals,
which `QuerySet.update()`, `bulk_create()` and `bulk_update()` never send. Every
editorial model uses this QuerySet, so those calls record history too instead of
silently bypassing it.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone


class HistoryRecordingQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        for name, value in kwargs.items():
            if hasattr(value, "resolve_expression"):
                raise TypeError(
                    f"update({name}=<expression>) cannot be recorded in history; "
                    "load the rows and set plain values instead."
                )
        with transaction.atomic(using=self.db):
            objs = list(self.select_for_update())
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
            rows = plain.bulk_update(objs, fields, batch_size=batch_size)
            record_bulk(self.model, objs, action="updated", fields=list(fields))
        return rows

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        from .recording import record_bulk

        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise TypeError("bulk_create with conflict handling cannot be recorded in history.")
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            record_bulk(self.model, created, action="created")
        return created
