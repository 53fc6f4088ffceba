"""Turns every history row django-simple-history writes into a `Change`.

Single saves and deletes arrive through simple-history's
`post_create_historical_record` signal; bulk writes arrive through
`record_bulk`, called by `HistoryRecordingQuerySet`. Both end in
`_add_changes`, the one place that appends to the change log.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import connections, models, transaction
from django.db.models.signals import m2m_changed, pre_delete, pre_save
from django.dispatch import Signal, receiver
from simple_history.signals import post_create_historical_record
from simple_history.utils import get_m2m_field_name

from .locking import held_back_changes, lock_before_writing, lock_change_log
from .models import Change, ChangeAction, RecordedModel
from .records import m2m_history_model, tracked_m2m_fields
from .writing import refuse_unrecorded_delete

_ACTIONS = {"+": ChangeAction.CREATED, "~": ChangeAction.UPDATED, "-": ChangeAction.DELETED}

# Sent with the new `Change` rows (ids set) while the writer's transaction is still
# open; receivers that act on committed data defer with transaction.on_commit.
changes_recorded = Signal()


# Bookkeeping, not content: never listed as a changed field.
_TIMESTAMPS = {"created_at", "updated_at"}


def tracked_field_names(history_model: type[models.Model]) -> list[str]:
    return [field.name for field in history_model.tracked_fields if field.name not in _TIMESTAMPS]


def _changed_fields(history_row: models.Model) -> list[str]:
    action = history_row.history_type
    if action == "+":
        return tracked_field_names(type(history_row))
    if action == "-":
        return []
    previous = history_row.prev_record
    if previous is None:
        return tracked_field_names(type(history_row))
    # diff_against covers the tracked many-to-many fields as well.
    return sorted(set(history_row.diff_against(previous).changed_fields) - _TIMESTAMPS)


def _add_changes(using: str, rows: Sequence[Change]) -> None:
    """Append to the change log under its lock, held until commit (so `Change.id` grows in
    commit order: a feed reader past a higher id never misses a lower one); inside
    `change_log_appended_last`, keep the rows for its end instead."""
    held_back = held_back_changes(using)
    if held_back is not None:
        held_back.extend(rows)
        return
    with transaction.atomic(using=using):
        lock_change_log(using)
        Change.objects.using(using).bulk_create(rows)
    changes_recorded.send(sender=Change, changes=rows, using=using)


@contextmanager
def change_log_appended_last(using: str = "default") -> Iterator[None]:
    """Write records inside; their change-log rows are appended when the block ends.

    For long writes (an import of hundreds of points): they take the change-log lock
    only for the append at their end, not for everything they write before it, so
    editors' writes meanwhile go ahead. Use it as the last step of a transaction, with
    nothing slow after it (the lock is held until commit). Not nestable.
    """
    connection = connections[using]
    if held_back_changes(using) is not None:
        raise RuntimeError("change_log_appended_last() is already active on this connection.")
    held_back: list[Change] = []
    connection._held_back_changes = held_back
    try:
        with transaction.atomic(using=using):
            yield
            connection._held_back_changes = None
            if held_back:
                _add_changes(using, held_back)
    finally:
        connection._held_back_changes = None


@receiver(post_create_historical_record)
def _record_single(
    sender: Any, instance: models.Model, history_instance: models.Model, using: str | None = None, **kwargs: Any
) -> None:
    using = using or "default"
    _add_changes(
        using,
        [
            Change(
                record_type=instance._meta.label_lower,
                object_id=instance.pk,
                action=_ACTIONS[history_instance.history_type],
                history_id=history_instance.history_id,
                changed_fields=_changed_fields(history_instance),
                changed_at=history_instance.history_date,
                changed_by_id=history_instance.history_user_id,
            )
        ],
    )


def record_bulk(
    model: type[models.Model], objs: Sequence[models.Model], *, action: str, fields: list[str] | None = None
) -> None:
    """Write history rows and change-log rows for objects written in bulk."""
    if not objs:
        return
    using = objs[0]._state.db or "default"
    history_rows = model.history.bulk_history_create(objs, update=action == ChangeAction.UPDATED)
    _record_bulk_m2m(model, history_rows, using)
    history_model = model.history.model
    all_fields = tracked_field_names(history_model)
    _add_changes(
        using,
        [
            Change(
                record_type=model._meta.label_lower,
                object_id=row.id,
                action=action,
                history_id=row.history_id,
                changed_fields=sorted(set(fields) - _TIMESTAMPS) if fields is not None else all_fields,
                changed_at=row.history_date,
                changed_by_id=row.history_user_id,
            )
            for row in history_rows
        ],
    )


def _record_bulk_m2m(model: type[models.Model], history_rows: Sequence[models.Model], using: str) -> None:
    """Give history rows written in bulk the many-to-many state a save() would record,
    so "as of" reads and the change feed see a bulk-updated record's sources.
    One read and one insert per tracked field, whatever the number of rows."""
    pks = [row.id for row in history_rows]
    for field in tracked_m2m_fields(model):
        through = field.remote_field.through
        own = get_m2m_field_name(field)
        by_owner: dict[Any, list[models.Model]] = {}
        for link in through._base_manager.using(using).filter(**{f"{own}__in": pks}):
            by_owner.setdefault(getattr(link, f"{own}_id"), []).append(link)
        snapshot = m2m_history_model(model, field.name)
        names = [f.attname for f in through._meta.concrete_fields]
        snapshot.objects.using(using).bulk_create(
            [
                snapshot(history=row, **{name: getattr(link, name) for name in names})
                for row in history_rows
                for link in by_owner.get(row.id, [])
            ]
        )


def _refuse_reverse_m2m_writes(sender: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    """`source.positions.add(position)` would record history on the source (simple-history
    records the instance the manager hangs on), not on the position that changed."""
    if reverse and action.startswith("pre_"):
        raise TypeError(
            "Change a recorded many-to-many field from the record that owns it "
            "(position.sources.add(source), not source.positions.add(position)), so its history is kept."
        )


def _refuse_unrecorded_cascades(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    refuse_unrecorded_delete(instance)


def _lock_before_writing(sender: Any, using: str | None = None, action: str = "pre_", **kwargs: Any) -> None:
    """Before the first row a transaction writes: the change-log lock (the one lock order,
    see `locking.py`). Not inside `change_log_appended_last`, which takes it at its end."""
    if action.startswith("pre_"):
        lock_before_writing(using or "default")


def connect_guards() -> None:
    """Guard every editorial model against writes history would miss (called once, from
    HistoryConfig.ready, when every model is loaded)."""
    for model in apps.get_models():
        if not issubclass(model, RecordedModel):
            continue
        pre_save.connect(_lock_before_writing, sender=model, dispatch_uid=f"lock-save-{model._meta.label}")
        pre_delete.connect(_lock_before_writing, sender=model, dispatch_uid=f"lock-delete-{model._meta.label}")
        pre_delete.connect(_refuse_unrecorded_cascades, sender=model, dispatch_uid=f"guard-delete-{model._meta.label}")
        for field in tracked_m2m_fields(model):
            through = field.remote_field.through
            m2m_changed.connect(
                _refuse_reverse_m2m_writes, sender=through, dispatch_uid=f"guard-m2m-{through._meta.label}"
            )
            m2m_changed.connect(_lock_before_writing, sender=through, dispatch_uid=f"lock-m2m-{through._meta.label}")
