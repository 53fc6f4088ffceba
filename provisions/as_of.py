"""The record as it stood at a past moment, for the dashboard and the API.

Everything here reads history through `history.records`; each function runs a
fixed number of queries whatever the amount of data. Related rows that are not
themselves "as of" (an actor's name, a territory's name) are read as they are now.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from actors.models import Actor, Event, Position
from history.records import as_of, end_of_day, m2m_as_of

from .models import ControlObservation, Provision, Source, TerritorialDisposition, Territory, Version

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_as_of(value: str | None) -> datetime | None:
    """`YYYY-MM-DD` to the last instant of that day (UTC); None for no value.

    Raises ValidationError for a malformed date or one in the future.
    """
    if value is None or value.strip() == "":
        return None
    # date.fromisoformat alone would also take 20251120 or 2025-W47-4: only YYYY-MM-DD is documented.
    if not ISO_DAY.fullmatch(value.strip()):
        raise ValidationError(f"“{value}” is not a date: use YYYY-MM-DD.", code="invalid")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"“{value}” is not a date: use YYYY-MM-DD.", code="invalid") from None
    if day > timezone.localdate():
        raise ValidationError("as_of cannot be in the future.", code="future")
    return end_of_day(day)


def versions_as_of(moment: datetime) -> list[Version]:
    return sorted(as_of(Version, moment), key=lambda v: (v.dated, v.pk), reverse=True)


def provisions_as_of(
    moment: datetime, *, version_id: int | None = None, provision_ids: list[int] | None = None, **filters: Any
) -> list[Provision]:
    """Points as stored at `moment`, in point order, each carrying
    `.dispositions_as_of` and `.positions_as_of` (current stances as of then).
    `filters`: lookups on the point's own stored fields (e.g. `status`), applied in SQL."""
    rows = as_of(Provision, moment).filter(**filters)
    if version_id is not None:
        rows = rows.filter(version_id=version_id)
    if provision_ids is not None:
        rows = rows.filter(id__in=provision_ids)
    points = sorted(rows, key=lambda p: (p.version_id, p.sort_key))
    ids = [p.pk for p in points]

    dispositions = list(as_of(TerritorialDisposition, moment).filter(provision_id__in=ids))
    territories = Territory.objects.in_bulk({d.territory_id for d in dispositions})
    by_point: dict[int, list[TerritorialDisposition]] = defaultdict(list)
    for item in sorted(dispositions, key=lambda d: territories[d.territory_id].name):
        item.territory = territories[item.territory_id]
        by_point[item.provision_id].append(item)

    positions = current_positions(positions_as_of(moment, provision_id__in=ids))
    stances: dict[int, list[Position]] = defaultdict(list)
    for position in positions:
        stances[position.provision_id].append(position)

    for point in points:
        point.dispositions_as_of = by_point[point.pk]
        point.positions_as_of = sorted(stances[point.pk], key=lambda p: p.actor.name)
    return points


def positions_as_of(moment: datetime, **filters: Any) -> list[Position]:
    """Every position on record at `moment` (filters use Position's field names),
    latest first, each with `.actor` and `.sources_as_of`."""
    positions = list(as_of(Position, moment).filter(**filters))
    actors = Actor.objects.select_related("represents").in_bulk({p.actor_id for p in positions})
    source_ids = m2m_as_of(Position, "sources", positions)
    sources = Source.objects.in_bulk({pk for ids in source_ids.values() for pk in ids})
    for position in positions:
        position.actor = actors[position.actor_id]
        position.sources_as_of = [sources[pk] for pk in source_ids[position.pk] if pk in sources]
    return sorted(positions, key=lambda p: (p.taken_on, p.pk), reverse=True)


def current_positions(positions: list[Position]) -> list[Position]:
    """The latest stance per actor and subject, by the same rule as `PositionQuerySet.current`."""
    latest: dict[tuple[int, int, int | None], Position] = {}
    for position in positions:
        key = (position.actor_id, position.version_id, position.provision_id)
        held = latest.get(key)
        if held is None or (position.taken_on, position.pk) > (held.taken_on, held.pk):
            latest[key] = position
    return list(latest.values())


def territories_as_of(moment: datetime) -> list[Territory]:
    """Territories as stored then, each with `.observations_as_of` (newest first)."""
    territories = sorted(as_of(Territory, moment), key=lambda t: t.name)
    observations = list(as_of(ControlObservation, moment))
    sources = Source.objects.in_bulk({o.source_id for o in observations})
    by_territory: dict[int, list[ControlObservation]] = defaultdict(list)
    for observation in sorted(observations, key=lambda o: (o.observed_on, o.pk), reverse=True):
        observation.source = sources[observation.source_id]
        by_territory[observation.territory_id].append(observation)
    for territory in territories:
        territory.observations_as_of = by_territory[territory.pk]
    return territories


def events_as_of(moment: datetime) -> list[Event]:
    """Events on record then, newest first, each with `.actors_as_of` and `.sources_as_of`."""
    events = list(as_of(Event, moment))
    actor_ids = m2m_as_of(Event, "actors", events)
    source_ids = m2m_as_of(Event, "sources", events)
    actors = Actor.objects.in_bulk({pk for ids in actor_ids.values() for pk in ids})
    sources = Source.objects.in_bulk({pk for ids in source_ids.values() for pk in ids})
    for event in events:
        event.actors_as_of = [actors[pk] for pk in actor_ids[event.pk] if pk in actors]
        event.sources_as_of = [sources[pk] for pk in source_ids[event.pk] if pk in sources]
    return sorted(events, key=lambda e: (e.occurred_on, e.pk), reverse=True)
