"""Where an actor stands: the "current stance" rule and the "speaks for" rule, each once.

Every reader goes through here: the stance matrix, the points filter (dashboard and
API), the API's stance lists, and the record as of a past date. The SQL form and the
Python form of "current" below state the same rule; tests check they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from .choices import Attribution

NO_STANCE = "none"  # a filter value and a cell value: no recorded stance
ATTRIBUTED = Attribution.ATTRIBUTED.value

# A stance is about a subject: a point, or a version as a whole (provision_id None).
SUBJECT = ("actor_id", "version_id", "provision_id")


class _Stance(Protocol):
    pk: Any
    actor_id: int
    version_id: int
    provision_id: int | None
    taken_on: Any
    stance: str


def recency(position: _Stance) -> tuple[Any, Any]:
    """Latest by date taken; on the same date the later-recorded one (higher id) wins."""
    return (position.taken_on, position.pk)


# `recency` as an SQL ordering, oldest first: the last row of each subject is its current stance.
RECENCY_ORDER = ("taken_on", "id")


def current_in_sql(queryset: QuerySet) -> QuerySet:
    """Rows of `queryset` that are each actor's current stance on their subject (`recency`, in SQL).

    Earlier stances stay on record and are simply not returned. Works on live
    positions and on positions read from history alike.
    """
    ranked = queryset.annotate(
        recency=Window(
            RowNumber(),
            partition_by=[F(name) for name in SUBJECT],
            order_by=[F(name).desc() for name in RECENCY_ORDER],
        )
    )
    return ranked.filter(recency=1)


def current_of(positions: Iterable[_Stance]) -> list[Any]:
    """The same rule over loaded rows: the latest stance per actor and subject."""
    latest: dict[tuple[Any, ...], Any] = {}
    for position in positions:
        key = tuple(getattr(position, name) for name in SUBJECT)
        held = latest.get(key)
        if held is None or recency(position) > recency(held):
            latest[key] = position
    return list(latest.values())


def speaks_for(actor: Any, party: Any) -> bool:
    """The actor is the party, or a person who represents it (`Actor.represents`)."""
    return actor.pk == party.pk or actor.represents_id == party.pk


def counted_stances(
    positions: Iterable[Any], parties: Iterable[Any], *, stated_only: bool = False
) -> dict[tuple[int | None, int], Any]:
    """The position that counts for each (subject, party): subject is a point id, or None
    for the version as a whole.

    `stated_only`: leave out stances attributed to a party by others (`Attribution`), as
    filters and the convergence chart do unless asked; the matrix shows them, marked.

    The rule, kept here only: a party's own current stance wins; where the party has
    none, the most recent current stance (`recency`) of a person who speaks for it
    stands in. `positions` must be current ones (one per actor and subject), each with
    `.actor` loaded.
    """
    party_ids = {party.pk for party in parties}
    own: dict[tuple[int | None, int], Any] = {}
    proxy: dict[tuple[int | None, int], Any] = {}
    for position in positions:
        if stated_only and position.attribution == ATTRIBUTED:
            continue
        if position.actor_id in party_ids:
            own[(position.provision_id, position.actor_id)] = position
            continue
        party_id = position.actor.represents_id
        if party_id in party_ids:
            key = (position.provision_id, party_id)
            held = proxy.get(key)
            if held is None or recency(position) > recency(held):
                proxy[key] = position
    return {**proxy, **own}
