"""Reading the past: the one module that queries history tables.

"As of" views and the change feed go through here; nobody rebuilds the past
ad hoc in a view.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.db.models import Exists, F, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import JSONObject

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


def live_or_last_known(
    model: type[models.Model], ids: Iterable[int], queryset: models.QuerySet | None = None
) -> dict[int, models.Model]:
    """Records of `model` by id as they are now (from `queryset`, default all), and those
    deleted since by their last recorded state.

    "As of" reads attach related rows read live (an actor's name); a territory, actor or
    source that an old record cited may have been deleted since, and is then shown as it
    last stood. One query, two when some are gone.
    """
    wanted = set(ids)
    found = (queryset if queryset is not None else model._default_manager.all()).in_bulk(wanted)
    missing = wanted - found.keys()
    if missing:
        last_rows = model.history.filter(id__in=missing).order_by("id", "history_id")
        found.update({row.id: row.instance for row in last_rows})  # the later row of an id wins
    return found


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


def states_and_previous(history_ids: dict[str, list[int]], previous_of: dict[str, list[int]]) -> dict[str, Any]:
    """What some recorded writes left, and what stood just before some of them, for any mix
    of record types in one query (a UNION over the history tables).

    `history_ids`: record type ("provisions.provision") -> history rows wanted;
    `previous_of`: record type -> those of them whose previous state is wanted too.
    Returns {"states": {(type, history_id): {attname: value, …}}, "previous": {(type, history_id):
    the state before it, or None}}. Values are as the database's JSON gives them (dates as
    ISO text): `field.to_python` reads them back.
    """
    from django.apps import apps

    parts = []
    for record_type, ids in history_ids.items():
        history = apps.get_model(record_type).history
        columns = {field.attname: F(field.attname) for field in history.model.tracked_fields}
        before = history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
        previous_ids = (
            history.filter(history_id__in=previous_of.get(record_type, []))
            .annotate(previous_id=Subquery(before.values("history_id")[:1]))
            .values("previous_id")
        )
        parts.append(
            history.filter(Q(history_id__in=ids) | Q(history_id__in=previous_ids))
            .order_by()
            .annotate(
                recorded_type=Value(record_type), recorded_state=JSONObject(**columns, history_id=F("history_id"))
            )
            .values_list("recorded_type", "recorded_state")
        )
    if not parts:
        return {"states": {}, "previous": {}}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, state in rows:
        state = state if isinstance(state, dict) else JSONField().from_db_value(state, None, None)
        found[(kind, state["history_id"])] = state
    previous: dict[tuple[str, int], dict[str, Any] | None] = {}
    for record_type, ids in previous_of.items():
        for history_id in ids:
            state = found.get((record_type, history_id))
            earlier = [
                other
                for (kind, other_id), other in found.items()
                if kind == record_type and state and other["id"] == state["id"] and other_id < history_id
            ]
            previous[(record_type, history_id)] = max(earlier, key=lambda s: s["history_id"], default=None)
    wanted = {(kind, hid) for kind, ids in history_ids.items() for hid in ids}
    return {"states": {key: found[key] for key in wanted if key in found}, "previous": previous}
