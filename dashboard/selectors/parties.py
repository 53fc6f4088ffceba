"""The parties pages: every actor's stance counts, one party's profile, the party picker."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from actors.choices import ActorKind
from actors.models import Actor, Position
from actors.stances import counted_stances
from provisions.models import Provision, Version

from ..record import Record
from .matrix import PartyStance, cell, stance_counts
from .timeline import TimelineEntry, timeline, timeline_reads


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


def points_with_stances(record: Record, version: Version | None) -> tuple[list[Provision], int]:
    """The points of `version` some actor has a current stance on, in order, each with `.stances`
    (as `Record.points` gives them), and how many points the version has in all.

    Live, from the version's current stances alone, whose points ride along with them: the
    parties pages show no point without a stance, they only count them.
    """
    if version is None:
        return [], 0
    if not record.is_live:
        points = record.points(version)
        return [point for point in points if point.stances], len(points)
    points: dict[int, Provision] = {}
    stances: dict[int, list[Position]] = defaultdict(list)
    for position in record.current_stances(version):
        if position.provision_id is not None:
            points.setdefault(position.provision_id, position.provision)
            stances[position.provision_id].append(position)
    for pk, point in points.items():
        point.version = version
        point.stances = sorted(stances[pk], key=lambda p: p.actor.name)
    return sorted(points.values(), key=lambda point: (point.sort_key, point.pk)), version.point_count


def party_summaries(record: Record, version: Version | None) -> list[PartySummary]:
    """Every actor with how many points of `version` it supports, conditions, opposes…

    Parties (states, blocs, organizations) count by the matrix rule; a person counts
    their own stances only.
    """
    points, point_count = points_with_stances(record, version)
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
        counts = stance_counts(cells, out_of=point_count)
        summaries.append(PartySummary(actor, counts, whole, representatives[actor.pk]))
    return summaries


@dataclass
class ActorProfile:
    actor: Actor
    summary: PartySummary
    cells: list[tuple[Provision, PartyStance]]  # its stance on each point of the version in focus with a stance
    entries: list[TimelineEntry]  # its stances, statements and events over time

    @property
    def stated(self) -> list[tuple[Provision, PartyStance]]:
        """The points on which it has a stance (its own, or for a party its representative's)."""
        return [(point, cell) for point, cell in self.cells if cell.position]


def actor_profile(record: Record, actor: Actor, version: Version | None) -> ActorProfile:
    """One party (with the people who speak for it) or one person: stances and record over time."""
    # As of a date: the version's points and stances and the timeline's rows in one read.
    ahead = timeline_reads(record, party=actor)
    if version is not None:
        ahead["positions"].append({"current": True, "version_id": version.pk, "provision__isnull": True})
        ahead["points_of"] = [version]
    record.read_ahead(**ahead)
    points, _count = points_with_stances(record, version)
    summary = next(s for s in party_summaries(record, version) if s.actor.pk == actor.pk)
    if actor.represents_id is None:
        chosen = counted_stances([p for point in points for p in point.stances], [actor])
        cells = [(point, cell(chosen, point.pk, actor)) for point in points]
    else:
        own = {(p.provision_id, p.actor_id): p for point in points for p in point.stances}
        cells = [(point, PartyStance(actor, own.get((point.pk, actor.pk)))) for point in points]
    return ActorProfile(actor, summary, cells, timeline(record, party=actor))
