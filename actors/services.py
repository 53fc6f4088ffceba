"""Writes on positions and competing accounts: one transaction each, validated once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from history.writing import save_recorded
from provisions.models import Provision, Source, Version

from .models import Actor, Position


@transaction.atomic
def position_record(
    *,
    actor: Actor,
    stance: str,
    summary: str,
    taken_on: date,
    sources: Iterable[Source],
    version: Version | None = None,
    provision: Provision | None = None,
    attributed_to: str = "",
    user: Any = None,
) -> Position:
    """Record a new stance. Earlier stances are kept: the latest by date is the current one."""
    sources = list(sources)
    if not sources:
        raise ValidationError({"sources": "A position needs at least one source."})
    if version is None and provision is None:
        raise ValidationError({"version": "Give the version, or the point, the stance is about."})
    position = Position(
        actor=actor,
        version=version or provision.version,
        provision=provision,
        stance=stance,
        summary=summary,
        taken_on=taken_on,
        attributed_to=attributed_to,
    )
    return save_recorded(position, user=user, m2m={"sources": sources})
