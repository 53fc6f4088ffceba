"""Reading the past: the one module that queries history tables.

"As of" views and the change feed go through here; nobody rebuilds the past
ad hoc in a view.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db import models

from .models import Change


def end_of_day(day: date) -> datetime:
    """The last instant of `day` (UTC): "as of 2025-11-22" includes that whole day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)


def as_of(model: type[models.Model], moment: datetime) -> models.QuerySet:
    """Instances of `model` as they stood at `moment`, deleted ones left out.

    Returns simple-history's queryset of instances: filter it with the model's
    own field names (e.g. `version_id=3`); related objects are read live.
    """
    return model.history.as_of(moment)


def history_of(instance: models.Model) -> models.QuerySet:
    """Every recorded state of one record, newest first, with who made it."""
    return instance.history.select_related("history_user").order_by("-history_date", "-history_id")


def changes_after(cursor: int, limit: int) -> list[Change]:
    """Change-log rows after `cursor` (a Change id), oldest first."""
    return list(Change.objects.filter(id__gt=cursor).select_related("changed_by").order_by("id")[:limit])


def history_row(change: Change) -> models.Model | None:
    """The history row holding the state a change produced."""
    from django.apps import apps

    model = apps.get_model(change.record_type)
    return model.history.filter(history_id=change.history_id).first()
