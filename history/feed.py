"""The change feed's entries: what one recorded write looks like to the outside.

Public and stable: the API's `/api/v1/changes/` serves these entries, and
webhooks send the very same shape. An entry is

    {
      "id": 123,                         # the Change id: the feed's cursor
      "record_type": "provisions.provision",
      "record_id": 42,
      "action": "created" | "updated" | "deleted",
      "changed_at": "2025-11-21T09:30:00Z",
      "changed_fields": ["title", "text"],
      "data": {...} | null,              # the record as that write left it; null when deleted
    }

`data` is the record's own fields (foreign keys as ids, many-to-many fields as
sorted id lists, the same values the API's list endpoints show for them), read
from the history row the write produced, so replaying the feed in order
rebuilds every record exactly, whenever the consumer reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from rest_framework import serializers

from .models import Change, ChangeAction
from .records import history_rows, m2m_of_history_rows

# Derived columns a consumer can recompute, left out of `data`.
EXCLUDED_FIELDS = frozenset({"sort_key"})


def json_value(field: models.Field, value: Any) -> Any:
    """A column's value exactly as the API renders it (DRF's own formatting of
    dates, UTC datetimes with `Z`, decimals as fixed-point strings)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return serializers.DateTimeField().to_representation(value)
    if isinstance(value, date):
        return serializers.DateField().to_representation(value)
    if isinstance(value, Decimal):
        return serializers.DecimalField(
            max_digits=getattr(field, "max_digits", None), decimal_places=getattr(field, "decimal_places", None)
        ).to_representation(value)
    return value


def record_representation(
    model: type[models.Model], row: models.Model, m2m: dict[str, list[int]] | None = None
) -> dict[str, Any]:
    """The record's own fields from a live instance or a history row of `model`."""
    data: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in EXCLUDED_FIELDS:
            continue
        data[field.name] = json_value(field, getattr(row, field.attname))
    for name, ids in (m2m or {}).items():
        data[name] = sorted(ids)
    return data


def tracked_m2m_names(model: type[models.Model]) -> list[str]:
    """Many-to-many fields whose history is recorded (and so appear in `data`)."""
    history_model = model.history.model
    return sorted(field.name for field in getattr(history_model, "_history_m2m_fields", []))


def recorded_models() -> list[type[models.Model]]:
    """The models whose writes appear in the feed (those with recorded history), by label."""
    found = [m for m in apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)]
    return sorted(found, key=lambda model: model._meta.label_lower)


def data_fields(model: type[models.Model]) -> list[str]:
    """The keys of an entry's `data` for a record of `model` (`record_representation`)."""
    own = [field.name for field in model._meta.concrete_fields if field.name not in EXCLUDED_FIELDS]
    return [*own, *tracked_m2m_names(model)]


def change_payload(change: Change, representation: dict[str, Any] | None) -> dict[str, Any]:
    """One feed entry for `change`; `representation` is the record's state after it
    (ignored for a deletion, whose entry carries only the deleted id)."""
    return {
        "id": change.id,
        "record_type": change.record_type,
        "record_id": change.object_id,
        "action": change.action,
        "changed_at": json_value(Change._meta.get_field("changed_at"), change.changed_at),
        "changed_fields": list(change.changed_fields or []),
        "data": None if change.action == ChangeAction.DELETED else representation,
    }


def feed_entries(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """Feed entries for these changes, in their order, in a fixed number of queries:
    one per record type present plus one per tracked many-to-many field of it,
    whatever the number of changes."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for change in changes:
        if change.action != ChangeAction.DELETED:
            wanted[change.record_type].append(change.history_id)

    states: dict[tuple[str, int], dict[str, Any]] = {}
    for record_type, history_ids in wanted.items():
        try:
            model = apps.get_model(record_type)
        except LookupError:
            continue  # a model since removed: its entries keep their ids, without data
        m2m_names = tracked_m2m_names(model)
        rows = history_rows(model, history_ids)
        m2m = {name: m2m_of_history_rows(model, name, list(rows)) for name in m2m_names}
        for history_id, row in rows.items():
            states[(record_type, history_id)] = record_representation(
                model, row, {name: m2m[name][history_id] for name in m2m_names}
            )
    return [change_payload(change, states.get((change.record_type, change.history_id))) for change in changes]
