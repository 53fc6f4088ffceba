"""The points pages: the version in focus, counts, the filtered list, one point, compare."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from actors.models import Actor, Claim, Position
from actors.stances import counted_stances
from history import records
from provisions.choices import ProvisionStatus, Topic
from provisions.diffing import DiffSegment, word_diff
from provisions.models import Provision, Version
from provisions.points import PointFilter
from provisions.selectors import LineageStep, in_date_order, lineage_of

from ..record import Record
from .matrix import MatrixRow, PartyStance, StanceMatrix, cell

# --- Which version is in focus -----------------------------------------------------------


def version_in_focus(record: Record, requested: int | None = None) -> Version | None:
    """The requested version, or by default the latest one with points of a main plan
    (one that answers no other plan), so that a counter-proposal published later does
    not displace the plan under negotiation; failing that, the latest version with
    points, then the latest version. Counter-proposals stay selectable by `requested`."""
    if requested is not None:
        return record.version(requested)
    versions = record.versions()
    with_points = [v for v in versions if v.point_count]
    main = [v for v in with_points if v.plan.answers_id is None]
    return (main or with_points or versions or [None])[0]


def previous_version(record: Record, version: Version) -> Version | None:
    """The version this one revises, or else the one before it in the same plan."""
    versions = record.versions()
    if version.revises_id:
        for candidate in versions:
            if candidate.pk == version.revises_id:
                return candidate
    earlier = [v for v in versions if v.plan_id == version.plan_id and (v.dated, v.pk) < (version.dated, version.pk)]
    return earlier[0] if earlier else None


# --- Counts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    value: str
    label: str
    count: int


def status_counts(points: Iterable[Provision]) -> list[Tally]:
    """Points per status, in the vocabulary's order, statuses with no point left out."""
    counts = Counter(point.status for point in points)
    return [Tally(value, label, counts[value]) for value, label in ProvisionStatus.choices if counts[value]]


def topic_counts(points: Iterable[Provision]) -> list[Tally]:
    """Points per topic (a point counts once for each of its topics), most frequent first."""
    counts = Counter(topic for point in points for topic in point.topics)
    tallies = [Tally(value, label, counts[value]) for value, label in Topic.choices if counts[value]]
    return sorted(tallies, key=lambda tally: -tally.count)


# --- Points list filters -----------------------------------------------------------------


def filter_points(matrix: StanceMatrix, point_filter: PointFilter) -> list[MatrixRow]:
    """The matrix rows whose point passes `point_filter`: the one rule of `provisions.points`
    (the API's too), applied to the loaded rows, so live and past records go the same way."""
    return [row for row in matrix.rows if point_filter.matches(row.point)]


# --- Point page --------------------------------------------------------------------------


@dataclass
class StanceHistory:
    actor: Actor
    current: Position
    earlier: list[Position]


@dataclass
class Edit:
    """One recorded state of a point, against the state before it."""

    when: datetime
    user: Any
    action: str
    changed: list[str]
    diff: list[DiffSegment]
    row: Any


@dataclass
class LineageEntry:
    step: LineageStep
    diff: list[DiffSegment]


@dataclass
class PointDetail:
    point: Provision
    version: Version
    party_cells: list[PartyStance]
    stances: list[StanceHistory]
    claims: list[Claim]
    version_claims: list[Claim]
    edits: list[Edit]
    earlier: list[LineageEntry]
    later: list[LineageEntry]


EDIT_FIELDS = ("number", "title", "text", "status", "topics")


def point_detail(record: Record, pk: int) -> PointDetail:
    """Everything the point page shows, in a fixed number of queries."""
    # As of a date: the point, its stances and its claims in one read.
    record.read_ahead(point=pk, positions=[{"provision_id": pk}])
    point = record.point(pk)
    version = point.version
    parties = record.principal_parties()
    chosen = counted_stances(point.stances, parties)

    grouped: dict[int, list[Position]] = defaultdict(list)
    for position in record.positions(provision_id=pk):
        grouped[position.actor_id].append(position)
    stances = [StanceHistory(rows[0].actor, rows[0], rows[1:]) for rows in grouped.values()]
    stances.sort(key=lambda s: (s.actor.represents_id is not None, s.actor.name))

    # The point's claims and its version's, in one read.
    both = record.claims_on_point(pk)
    claims = [claim for claim in both if claim.provision_id == pk]
    on_version = [claim for claim in both if claim.provision_id is None]

    visible = {v.pk for v in record.versions()}
    back, forward = lineage_of(point)
    earlier = [
        LineageEntry(s, word_diff(s.provision.text, point.text)) for s in back if s.provision.version_id in visible
    ]
    later = [
        LineageEntry(s, word_diff(point.text, s.provision.text)) for s in forward if s.provision.version_id in visible
    ]

    return PointDetail(
        point=point,
        version=version,
        party_cells=[cell(chosen, pk, party) for party in parties],
        stances=stances,
        claims=claims,
        version_claims=on_version,
        edits=point_edits(record, point),
        earlier=earlier,
        later=later,
    )


def point_edits(record: Record, point: Provision) -> list[Edit]:
    """The point's recorded states, newest first, each with the fields it changed."""
    rows = records.history_of(point)
    if not record.is_live:
        rows = rows.filter(history_date__lte=record.moment)
    rows = list(rows)
    edits = []
    for index, row in enumerate(rows):
        before = rows[index + 1] if index + 1 < len(rows) else None
        if before is None:
            changed, diff = [], []
        else:
            changed = [name for name in EDIT_FIELDS if getattr(row, name) != getattr(before, name)]
            diff = word_diff(before.text, row.text) if "text" in changed else []
        action = {"+": "created", "~": "updated", "-": "deleted"}[row.history_type]
        edits.append(Edit(row.history_date, row.history_user, action, changed, diff, row))
    return edits


def read_overview_ahead(record: Record, version: Version, *, events: int) -> None:
    """As of a date, read what the overview shows of `version` (its points, stances on it as a
    whole, its claims) and the newest `events` in one read (`Record.read_ahead`)."""
    record.read_ahead(
        points_of=[version],
        positions=[{"current": True, "version_id": version.pk, "provision__isnull": True}],
        claims=[_version_claims_condition(version)],
        events=[{"limit": events}],
    )


def _version_claims_condition(version: Version) -> Q:
    return Q(version_id=version.pk, provision__isnull=True)


def version_claims(record: Record, version: Version) -> list[Claim]:
    """Contested claims about a version as a whole (not about one of its points)."""
    return record.claims(_version_claims_condition(version))


# --- Compare -----------------------------------------------------------------------------


def default_comparison(record: Record) -> tuple[Version, Version] | None:
    """The pair the compare picker proposes, older first: the version in focus and the version it
    revises (or the one before it in its plan); when it has none, the latest version that has one;
    failing that, the two latest versions. None with fewer than two versions."""
    versions = record.versions()
    if len(versions) < 2:
        return None
    focus = version_in_focus(record)
    for candidate in [focus, *versions] if focus else versions:
        before = previous_version(record, candidate)
        if before is not None:
            return in_date_order(before, candidate)
    return in_date_order(versions[0], versions[1])


def comparison_points(record: Record, version: Version) -> list[Provision] | None:
    """The points to compare: None means "as stored now" (compare_versions reads them)."""
    return None if record.is_live else record.points(version)
