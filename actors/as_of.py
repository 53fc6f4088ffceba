"""Stances and events as they stood at a past moment, read through `history.records`.

Each function runs a fixed number of queries whatever the amount of data; actors' and
sources' names are read as they are now (as they last stood if deleted since). Rows carry
the vocabulary of `provisions.points`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from history.records import as_of, live_or_last_known, m2m_as_of
from provisions.models import Source

from .models import Actor, Event, Position


def positions_as_of(moment: datetime, **filters: Any) -> list[Position]:
    """Every position on record at `moment` (filters use Position's field names),
    latest first, each with `.actor` and `.source_list`."""
    positions = list(as_of(Position, moment).filter(**filters))
    actors = live_or_last_known(Actor, {p.actor_id for p in positions}, Actor.objects.select_related("represents"))
    source_ids = m2m_as_of(Position, "sources", positions)
    sources = live_or_last_known(Source, {pk for ids in source_ids.values() for pk in ids})
    for position in positions:
        position.actor = actors[position.actor_id]
        position.source_list = [sources[pk] for pk in source_ids[position.pk] if pk in sources]
    return sorted(positions, key=lambda p: (p.taken_on, p.pk), reverse=True)


def events_as_of(moment: datetime) -> list[Event]:
    """Events on record then, newest first, each with `.actor_list` and `.source_list`."""
    events = list(as_of(Event, moment))
    actor_ids = m2m_as_of(Event, "actors", events)
    source_ids = m2m_as_of(Event, "sources", events)
    actors = live_or_last_known(Actor, {pk for ids in actor_ids.values() for pk in ids})
    sources = live_or_last_known(Source, {pk for ids in source_ids.values() for pk in ids})
    for event in events:
        event.actor_list = [actors[pk] for pk in actor_ids[event.pk] if pk in actors]
        event.source_list = [sources[pk] for pk in source_ids[event.pk] if pk in sources]
    return sorted(events, key=lambda e: (e.occurred_on, e.pk), reverse=True)
