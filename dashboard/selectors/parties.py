"""The parties pages: every actor's stance counts, one party's profile, the party picker."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from actors.choices import ActorKind
from actors.models import Actor
from actors.stances import counted_stances
from provisions.models import Provision, Version

from ..record import Record
from .matrix import PartyStance, cell, stance_counts
from .timeline import TimelineEntry, timeline


def actor_groups(record: Record) -> list[tuple[str, list[Actor]]]:
    """Every actor on record, grouped for a picker: principal parties (the matrix
    columns, in their order), other parties, then people. Empty groups are left out."""
    actors = sorted(record.actors().values(), key=lambda a: (not a.is_principal, a.matrix_order, a.name))
    people = [a for a in actors if a.represents_id is not None or a.kind == ActorKind.PERSON]
    parties = [a for a in actors if a not in people]
    groups = [
        ("Principal parties", [a for a in parties if a.is_principal]),
        ("Other parties", [a for a in parties if not a.is_principal]),
        ("People", people),
    ]
    return [(label, members) for label, members in groups if members]


# --- Parties -----------------------------------------------------------------------------


@dataclass
class PartySummary:
    actor: Actor
    counts: dict[str, int]
    whole: PartyStance
    representatives: list[Actor]


def party_summaries(record: Record, version: Version | None, points: list[Provision]) -> list[PartySummary]:
    """Every actor with how many points of `version` it supports, conditions, opposes…

    Parties (states, blocs, organizations) count by the matrix rule; a person counts
    their own stances only.
    """
    actors = sorted(record.actors().values(), key=lambda a: (not a.is_principal, a.matrix_order, a.name))
    on_points = [position for point in points for position in point.stances]
    on_whole = record.whole_version_stances(version) if version is not None else []
    parties = [a for a in actors if a.represents_id is None]
    chosen = counted_stances([*on_points, *on_whole], parties)
    own = {(p.provision_id, p.actor_id): p for p in [*on_points, *on_whole]}
    representatives: dict[int, list[Actor]] = defaultdict(list)
    for actor in actors:
        if actor.represents_id:
            representatives[actor.represents_id].append(actor)
    summaries = []
    for actor in actors:
        if actor.represents_id is None:
            cells = [cell(chosen, point.pk, actor) for point in points]
            whole = cell(chosen, None, actor)
        else:
            cells = [PartyStance(actor, own.get((point.pk, actor.pk))) for point in points]
            whole = PartyStance(actor, own.get((None, actor.pk)))
        summaries.append(PartySummary(actor, stance_counts(cells), whole, representatives[actor.pk]))
    return summaries


@dataclass
class ActorProfile:
    actor: Actor
    summary: PartySummary
    cells: list[tuple[Provision, PartyStance]]  # its stance on each point of the version in focus
    entries: list[TimelineEntry]  # its stances, statements and events over time

    @property
    def stated(self) -> list[tuple[Provision, PartyStance]]:
        """The points on which it has a stance (its own, or for a party its representative's)."""
        return [(point, cell) for point, cell in self.cells if cell.position]


def actor_profile(record: Record, actor: Actor, version: Version | None) -> ActorProfile:
    """One party (with the people who speak for it) or one person: stances and record over time."""
    points = record.points(version) if version is not None else []
    summary = next(s for s in party_summaries(record, version, points) if s.actor.pk == actor.pk)
    if actor.represents_id is None:
        chosen = counted_stances([p for point in points for p in point.stances], [actor])
        cells = [(point, cell(chosen, point.pk, actor)) for point in points]
    else:
        own = {(p.provision_id, p.actor_id): p for point in points for p in point.stances}
        cells = [(point, PartyStance(actor, own.get((point.pk, actor.pk)))) for point in points]
    return ActorProfile(actor, summary, cells, timeline(record, party=actor))
