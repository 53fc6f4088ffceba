"""Reading the past: the one module that queries history tables.

"As of" views and the change feed go through here; nobody rebuilds the past
ad hoc in a view.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Aggregate, Exists, F, Func, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import JSONObject
from django.utils import timezone

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


# --- Several record types as of a moment, in one query ----------------------------------------


class JSONArrayAgg(Aggregate):
    """The aggregated values as one JSON array (SQLite's JSON_GROUP_ARRAY, PostgreSQL's JSONB_AGG)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


class NestedJSON(Func):
    """A JSON value (a JSON column, a subquery's JSON array) nested as JSON inside a JSON object:
    SQLite would otherwise nest its text as a string (a subquery's result loses its JSON subtype)."""

    function = "JSON"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.source_expressions[0])  # jsonb nests as it is


@dataclass(frozen=True)
class AsOfRead:
    """What `read_as_of` reads of one record type.

    `where`: which records, on the model's own field names (subqueries over other as-of rows,
    e.g. `ids_as_of(...)`, cost no round trip); `fields`: attnames to read (default all);
    `m2m`: tracked many-to-many fields, whose ids then stood land in `<name>_ids`;
    `named`: foreign keys and many-to-many fields whose targets are read as they are now, or as
    they last stood if deleted since (an actor's name): a foreign key is set to that record,
    a many-to-many field's records are in `Snapshot.named`; `named_self`: the records
    themselves too (actors on record then, named as they are now).
    """

    model: type[models.Model]
    where: Q = field(default_factory=Q)
    fields: tuple[str, ...] | None = None
    m2m: tuple[str, ...] = ()
    named: tuple[str, ...] = ()
    named_self: bool = False
    # Only the first `limit` records, ordered by `newest` (field names, each descending): the
    # database picks them, so a page of a long record reads a page's worth.
    newest: tuple[str, ...] = ()
    limit: int | None = None
    offset: int = 0  # skip the newest `offset` first (a later page)
    # Foreign keys whose targets are read as they stood at the moment too, in the same row (a
    # correlated subquery per row, so only for the rows read): set to that record, or None if
    # it was not on record then (for a key that cannot be null, keep such rows out in `where`).
    along: tuple[str, ...] = ()
    # Further values computed in the same query (e.g. a count over other as-of rows, a subquery
    # with `OuterRef("id")`), set as attributes of the same name (as the database's JSON gives them).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    """What `read_as_of` found: instances per read (as stored then), and the records they
    name, by model and id, as they are now or last stood."""

    rows: dict[str, list[models.Model]]
    named: dict[type[models.Model], dict[int, models.Model]]

    def names(self, model: type[models.Model], ids: Iterable[int]) -> list[models.Model]:
        """The named records of `model` with these ids, in that order (unknown ids left out)."""
        found = self.named.get(model, {})
        return [found[pk] for pk in ids if pk in found]


@cache
def _history(model: type[models.Model]) -> Any:
    # `model.history` builds a new manager class on every access: a page reads a dozen models.
    return model.history


def latest_rows(model: type[models.Model], moment: datetime) -> models.QuerySet:
    """The history rows holding each record of `model` as it stood at `moment`, deleted ones
    left out (the rows `as_of` turns into instances)."""
    recorded = _history(model).filter(history_date__lte=moment)
    superseded = _history(model).filter(
        history_date__lte=moment, id=OuterRef("id"), history_id__gt=OuterRef("history_id")
    )
    return recorded.filter(~Exists(superseded)).exclude(history_type="-")


def ids_as_of(model: type[models.Model], moment: datetime, where: Q | None = None) -> models.QuerySet:
    """The ids of the records of `model` on record at `moment` (matching `where`), as a subquery."""
    return latest_rows(model, moment).filter(where or Q()).values("id")


def read_as_of(moment: datetime, reads: dict[str, AsOfRead]) -> Snapshot:
    """Several record types as they stood at `moment`, in two queries whatever their number:
    one UNION ALL over their history tables (each row a JSON object of the state, its tracked
    many-to-many ids nested as JSON arrays), then one for the records they name."""
    parts = []
    for key, read in reads.items():
        history = _history(read.model)
        wanted = read.fields
        columns: dict[str, Any] = {
            f.attname: _json_column(f) for f in history.model.tracked_fields if not wanted or f.attname in wanted
        }
        columns["id"] = F("id")
        for name in read.m2m:
            through = m2m_history_model(read.model, name)
            target = read.model._meta.get_field(name).related_model._meta.model_name
            ids = (
                through.objects.filter(history_id=OuterRef("history_id"))
                .order_by()
                .values("history_id")
                .annotate(ids=JSONArrayAgg(F(f"{target}_id")))
                .values("ids")
            )
            columns[f"{name}_ids"] = NestedJSON(Subquery(ids, output_field=JSONField()))
        columns.update(read.extra)
        for name in read.along:
            target = read.model._meta.get_field(name).related_model
            state = JSONObject(**{f.attname: _json_column(f) for f in _history(target).model.tracked_fields})
            then = latest_rows(target, moment).filter(id=OuterRef(f"{name}_id")).order_by().values(state=state)[:1]
            columns[f"{name}__as_of"] = NestedJSON(Subquery(then, output_field=JSONField()))
        where = read.where
        if read.limit is not None:
            # The newest rows picked in a subquery: a compound SELECT's members can't be ordered and sliced on SQLite.
            newest = latest_rows(read.model, moment).filter(read.where).order_by(*(f"-{name}" for name in read.newest))
            where = where & Q(history_id__in=newest.values("history_id")[read.offset : read.offset + read.limit])
        parts.append(
            latest_rows(read.model, moment)
            .filter(where)
            .order_by()
            .annotate(read_key=Value(key), read_state=JSONObject(**columns))
            .values_list("read_key", "read_state")
        )
    states: dict[str, list[dict[str, Any]]] = {key: [] for key in reads}
    if parts:
        for key, state in parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]:
            states[key].append(_decoded(state))
    rows = {key: [_instance(reads[key].model, state) for state in states[key]] for key in reads}
    for key, read in reads.items():
        for instance, state in zip(rows[key], states[key], strict=True):
            for name in read.extra:
                setattr(instance, name, state.get(name))
            for name in read.along:
                target = read.model._meta.get_field(name).related_model
                then = state.get(f"{name}__as_of")
                setattr(instance, name, _instance(target, _decoded(then)) if then is not None else None)

    wanted_names: dict[type[models.Model], set[int]] = defaultdict(set)
    for key, read in reads.items():
        for name in read.named:
            target = read.model._meta.get_field(name).related_model
            for state in states[key]:
                value = state.get(f"{name}_ids") if name in read.m2m else state.get(f"{name}_id")
                if isinstance(value, list):
                    wanted_names[target].update(value)
                elif value is not None:
                    wanted_names[target].add(value)
        if read.named_self:
            wanted_names[read.model].update(state["id"] for state in states[key])
    named = live_or_last_known_of_many(wanted_names)
    for key, read in reads.items():
        for name in read.named:
            if name in read.m2m:
                continue
            target = read.model._meta.get_field(name).related_model
            for instance in rows[key]:
                found = named.get(target, {}).get(getattr(instance, f"{name}_id"))
                if found is not None:
                    setattr(instance, name, found)
    return Snapshot(rows, named)


def live_or_last_known_of_many(
    ids: dict[type[models.Model], set[int]],
) -> dict[type[models.Model], dict[int, models.Model]]:
    """`live_or_last_known` for several models in one query (a UNION ALL of their live tables
    and, for the ids gone since, their last history rows). A model's foreign keys to itself
    (who an actor represents, a territory's parent) are followed one step and set."""
    parts = []
    for model, wanted in ids.items():
        if not wanted:
            continue
        label = model._meta.label_lower
        manager = model._default_manager
        self_keys = [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is model]
        live_ids = Q(id__in=wanted)
        for key in self_keys:
            live_ids |= Q(id__in=manager.filter(id__in=wanted).values(key.attname))
        live_columns = {f.attname: _json_column(f) for f in model._meta.concrete_fields}
        parts.append(
            manager.filter(live_ids)
            .order_by()
            .annotate(read_key=Value(label), read_state=JSONObject(**live_columns))
            .values_list("read_key", "read_state")
        )
        history = _history(model)
        later = history.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id"))
        gone_columns = {f.attname: _json_column(f) for f in history.model.tracked_fields}
        parts.append(
            history.filter(id__in=wanted)
            .exclude(id__in=manager.filter(id__in=wanted).values("id"))
            .filter(~Exists(later))
            .order_by()
            .annotate(read_key=Value(label), read_state=JSONObject(**gone_columns))
            .values_list("read_key", "read_state")
        )
    found: dict[type[models.Model], dict[int, models.Model]] = {model: {} for model in ids}
    if not parts:
        return found
    by_label = {model._meta.label_lower: model for model in ids}
    for label, state in parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]:
        instance = _instance(by_label[label], _decoded(state))
        found[by_label[label]][instance.pk] = instance
    for model, records in found.items():
        for key in (f for f in model._meta.concrete_fields if f.is_relation and f.related_model is model):
            for instance in records.values():
                target = records.get(getattr(instance, key.attname))
                if target is not None:
                    setattr(instance, key.name, target)
    return found


def _json_column(model_field: models.Field) -> Any:
    return NestedJSON(F(model_field.attname)) if isinstance(model_field, models.JSONField) else F(model_field.attname)


def _decoded(state: Any) -> dict[str, Any]:
    return state if isinstance(state, dict) else JSONField().from_db_value(state, None, None)


def _instance(model: type[models.Model], state: dict[str, Any]) -> models.Model:
    """An instance of `model` from a state read as JSON (dates as text, decimals as numbers);
    fields not read are left out, so reading one of them would query: callers read what they use."""
    read = [f.attname for f in model._meta.concrete_fields if f.attname in state]
    instance = model.from_db(DEFAULT_DB_ALIAS, read, [_from_json(_field(model, name), state[name]) for name in read])
    for name, value in state.items():
        if name.endswith("_ids"):
            setattr(instance, name, value or [])
    return instance


@cache
def _field(model: type[models.Model], attname: str) -> models.Field:
    return model._meta.get_field(attname)


def _from_json(model_field: models.Field, value: Any) -> Any:
    if value is None or isinstance(model_field, models.JSONField):
        return value
    if isinstance(model_field, models.CharField | models.TextField | models.AutoField | models.IntegerField):
        return value  # JSON gives them as Python has them
    if isinstance(model_field, models.DecimalField):
        return model_field.to_python(str(value)).quantize(Decimal(1).scaleb(-model_field.decimal_places))
    converted = model_field.to_python(value)
    if isinstance(model_field, models.DateTimeField) and settings.USE_TZ and timezone.is_naive(converted):
        converted = timezone.make_aware(converted, UTC)
    return converted
