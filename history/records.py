"""Reading the past: the one module that queries history tables.

"As of" views and the change feed go through here; nobody rebuilds the past
ad hoc in a view.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db import models
from django.db.models import Exists, OuterRef

from .models import Change


def end_of_day(day: date) -> datetime:
    """The last instant of `day` (UTC): "as of 2025-11-22" includes that whole day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)


def as_of(model: type[models.Model], moment: datetime) -> models.QuerySet:
    """Instances of `model` as they stood at `moment`, deleted ones left out.

    Returns simple-history's queryset of instances: filter it with the model's
    own field names (e.g. `version_id=3`); related objects are read live.
    Unlike `Model.history.as_of`, two history rows with the same timestamp (a
    save and its many-to-many update) never yield the record twice: the later
    row by history_id wins.
    """
    recorded = model.history.filter(history_date__lte=moment)
    superseded = model.history.filter(
        history_date__lte=moment, id=OuterRef("id"), history_id__gt=OuterRef("history_id")
    )
    rows = recorded.filter(~Exists(superseded)).as_instances()
    rows._as_of = moment
    return rows


def history_of(instance: models.Model) -> models.QuerySet:
    """Every recorded state of one record, newest first, with who made it."""
    return instance.history.select_related("history_user").order_by("-history_date", "-history_id")


def changes_after(cursor: int, limit: int) -> list[Change]:
    """Change-log rows after `cursor` (a Change id), oldest first."""
    return list(Change.objects.filter(id__gt=cursor).select_related("changed_by").order_by("id")[:limit])


def last_change() -> tuple[int, str]:
    """The id and time of the latest recorded write (`(0, "")` on an empty record), read
    from the change log's primary key in one query. Every write of an editorial record
    appends a Change, so while this pair holds, no representation built from the record
    can have changed (the time tells apart an id reused after a rolled-back write)."""
    row = Change.objects.order_by("-id").values_list("id", "changed_at").first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def history_row(change: Change) -> models.Model | None:
    """The history row holding the state a change produced."""
    from django.apps import apps

    model = apps.get_model(change.record_type)
    return model.history.filter(history_id=change.history_id).first()


def history_record_of(instance: models.Model) -> models.Model:
    """The history row an "as of" instance was built from."""
    return instance._history


def tracked_m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    """The many-to-many fields of `model` whose states its history rows keep."""
    return list(getattr(model.history.model, "_history_m2m_fields", []))


def m2m_history_model(model: type[models.Model], field_name: str) -> type[models.Model]:
    """The table holding, per history row of `model`, the ids a many-to-many field held."""
    history_model = model.history.model
    accessor = f"{history_model._meta.model_name}_{field_name}"
    return history_model._meta.get_field(accessor).related_model


def m2m_as_of(model: type[models.Model], field_name: str, instances: list[models.Model]) -> dict[int, list[int]]:
    """For "as of" instances of `model`, the ids a tracked many-to-many field held then.

    Keyed by the instance's primary key. One query whatever the number of instances.
    """
    m2m_rows = m2m_history_model(model, field_name)
    target = model._meta.get_field(field_name).related_model._meta.model_name
    by_history = {history_record_of(obj).history_id: obj.pk for obj in instances}
    result: dict[int, list[int]] = {obj.pk: [] for obj in instances}
    rows = m2m_rows.objects.filter(history_id__in=list(by_history)).values_list("history_id", f"{target}_id")
    for history_id, target_id in rows:
        result[by_history[history_id]].append(target_id)
    return result


def history_rows(model: type[models.Model], history_ids: list[int]) -> dict[int, models.Model]:
    """History rows of `model` by history_id, in one query (the change feed reads them in batches)."""
    return {row.history_id: row for row in model.history.filter(history_id__in=history_ids)}


def m2m_of_history_rows(model: type[models.Model], field_name: str, history_ids: list[int]) -> dict[int, list[int]]:
    """For history rows of `model`, the ids a tracked many-to-many field held in each; one query."""
    m2m_rows = m2m_history_model(model, field_name)
    target = model._meta.get_field(field_name).related_model._meta.model_name
    result: dict[int, list[int]] = {history_id: [] for history_id in history_ids}
    rows = m2m_rows.objects.filter(history_id__in=history_ids).values_list("history_id", f"{target}_id")
    for history_id, target_id in rows:
        result[history_id].append(target_id)
    return result


def created_with(model: type[models.Model], **fields) -> list[int]:
    """Ids of the records of `model` created with these field values, oldest first.

    Reads the creation row of each record's history, which no later edit changes:
    a record is found whatever it holds now, and also once deleted (its id is
    listed though the record is gone).
    """
    rows = model.history.filter(history_type="+", **fields).order_by("history_id")
    return list(dict.fromkeys(rows.values_list("id", flat=True)))
