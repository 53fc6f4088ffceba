"""The one write path for editorial records outside the admin's own forms.

Validates with full_clean() (field rules, clean(), constraints), saves in one
transaction and lets simple-history record who did it.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction

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
