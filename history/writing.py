"""The one write path for editorial records outside the admin's own forms.

Validates with full_clean() (field rules, clean(), constraints), saves in one
transaction and lets simple-history record who did it.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import ProtectedError

M = TypeVar("M", bound=models.Model)


def save_recorded(
    instance: M,
    *,
    user: Any = None,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    recorded_at: datetime | None = None,
) -> M:
    """Validate and save `instance`, then set its many-to-many fields.

    `recorded_at` backdates the history row (used by the demo loader so that
    "as of" views show facts from the day they were reported).
    """
    with transaction.atomic():
        instance.full_clean()
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user
        if recorded_at is not None:
            instance._history_date = recorded_at
        instance.save()
        for name, values in (m2m or {}).items():
            getattr(instance, name).set(list(values))
    for attr in ("_history_user", "_history_date"):
        if hasattr(instance, attr):
            delattr(instance, attr)
    return instance


def delete_recorded(instance: models.Model, *, user: Any = None) -> None:
    """Delete `instance`, recording who did it."""
    with transaction.atomic():
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user
        instance.delete()


def m2m_references(instance: models.Model) -> list[models.Model]:
    """Records that list `instance` in a many-to-many field (a position citing a source).

    Deleting `instance` would drop it from those lists without a history row
    for them (the link table is emptied directly), so such a delete is refused.
    Links through a model of ours (Lineage) are deleted row by row and recorded.
    """
    found: list[models.Model] = []
    for relation in instance._meta.related_objects:
        if relation.many_to_many and relation.through._meta.auto_created:
            owner = relation.related_model
            found += owner._base_manager.filter(**{relation.field.name: instance.pk}).order_by("pk")
    return found


def refuse_unrecorded_delete(instance: models.Model) -> None:
    """Raise ProtectedError (the admin lists it, the API answers 409) while other
    records still list `instance`; called before every delete of a recorded model."""
    references = m2m_references(instance)
    if references:
        names = sorted({str(ref._meta.verbose_name_plural) for ref in references})
        raise ProtectedError(
            f"Cannot delete “{instance}”: still cited by {', '.join(names)}; remove it from them first.",
            set(references),
        )
