"""Stances and events as they stood at a past moment, read through `history.records`.

Each reader runs two queries whatever the amount of data (the states, then the records they
name); actors' and sources' names are read as they are now (as they last stood if deleted
since). Rows carry the vocabulary of `provisions.points`. The `*_read` / `*_from` pairs let a
caller read stances and events together with other records in the same two queries
(`dashboard.record.Record`, `provisions.as_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q

from history.records import AsOfRead, Snapshot, m2m_history_model, read_as_of
from provisions.models import Source

from .models import Actor, Event, Position


def position_read(where: Q | None = None, *, limit: int | None = None) -> AsOfRead:
    """Positions (matching `where`; only the newest `limit`, if given) with their sources' ids
    and their actors and sources named."""
    return AsOfRead(
        Position, where or Q(), m2m=("sources",), named=("actor", "sources"), newest=("taken_on", "id"), limit=limit
    )


def positions_from(snapshot: Snapshot, key: str) -> list[Position]:
    """The positions `position_read` read under `key`, latest first, each with `.actor` and `.source_list`."""
    positions = snapshot.rows[key]
    for position in positions:
        position.source_list = snapshot.names(Source, position.sources_ids)
    return sorted(positions, key=lambda p: (p.taken_on, p.pk), reverse=True)


def positions_as_of(moment: datetime, *, limit: int | None = None, **filters: Any) -> list[Position]:
    """Every position on record at `moment` (filters use Position's field names; only the
    newest `limit`, if given), latest first, each with `.actor` and `.source_list`."""
    return positions_from(read_as_of(moment, {"positions": position_read(Q(**filters), limit=limit)}), "positions")


def event_read(where: Q | None = None, *, limit: int | None = None) -> AsOfRead:
    """Events (matching `where`; only the newest `limit`, if given) with their actors' and
    sources' ids, both named."""
    return AsOfRead(
        Event,
        where or Q(),
        m2m=("actors", "sources"),
        named=("actors", "sources"),
        newest=("occurred_on", "id"),
        limit=limit,
    )


def events_from(snapshot: Snapshot, key: str) -> list[Event]:
    """The events `event_read` read under `key`, newest first, each with `.actor_list` and `.source_list`."""
    events = snapshot.rows[key]
    for event in events:
        event.actor_list = snapshot.names(Actor, event.actors_ids)
        event.source_list = snapshot.names(Source, event.sources_ids)
    return sorted(events, key=lambda e: (e.occurred_on, e.pk), reverse=True)


def events_as_of(moment: datetime, *, actor_ids: Iterable[int] | None = None, limit: int | None = None) -> list[Event]:
    """Events on record then (involving one of `actor_ids`, if given; only the newest `limit`,
    if given), newest first, each with `.actor_list` and `.source_list`."""
    where = Q()
    if actor_ids is not None:
        involving = m2m_history_model(Event, "actors").objects.filter(actor_id__in=list(actor_ids))
        where = Q(history_id__in=involving.values("history_id"))
    return events_from(read_as_of(moment, {"events": event_read(where, limit=limit)}), "events")
