"""The convergence page: from draft to draft, the share of its stances each principal party
accepts in each version; within one version, per date, the share of points each party supports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from actors.choices import Stance
from actors.models import Actor, Position
from actors.stances import ATTRIBUTED, counted_stances, current_in_sql, current_of
from history import records
from provisions.models import Provision, Version

from ..record import Record
from .matrix import PartyStance, cell
from .paging import NewestFirstPage

# --- Convergence ------------------------------------------------------------------------


@dataclass
class ConvergenceStep:
    day: date
    supported: dict[int, int]  # party id -> points it supports
    by_all: int  # points every party supports
    total: int

    def share(self, party_id: int) -> float:
        return self.supported.get(party_id, 0) / self.total if self.total else 0.0

    @property
    def share_by_all(self) -> float:
        return self.by_all / self.total if self.total else 0.0


@dataclass
class ConvergenceSeries:
    version: Version
    parties: list[Actor]
    steps: list[ConvergenceStep]
    total: int


def convergence_series(
    record: Record,
    version: Version,
    points: list[Provision],
    parties: list[Actor] | None = None,
    *,
    attributed: bool = False,
) -> ConvergenceSeries:
    """For each date on which a stance on a point of `version` was taken: the share of
    the version's points each party supports, and the share all of them support.

    Stances are read by the matrix rule (`party_stances`) as they stood at the end of
    each date, stated ones only (an attributed stance is someone else's claim) unless
    `attributed`.
    Points are those of the version now (or as of the record's moment).
    """
    parties = record.principal_parties() if parties is None else parties
    point_ids = {point.pk for point in points}
    positions = record.positions(version_id=version.pk, provision__isnull=False, with_sources=False)
    # Only what the parties (or their people) stated counts; stances attributed by others don't.
    positions = [p for p in positions if p.provision_id in point_ids and (attributed or p.attribution != ATTRIBUTED)]
    steps = []
    for day in sorted({p.taken_on for p in positions}):
        current = current_of([p for p in positions if p.taken_on <= day])
        chosen = counted_stances(current, parties, stated_only=not attributed)
        supported = {party.pk: sum(1 for pk in point_ids if _supports(chosen.get((pk, party.pk)))) for party in parties}
        by_all = sum(1 for pk in point_ids if parties and all(_supports(chosen.get((pk, p.pk))) for p in parties))
        steps.append(ConvergenceStep(day, supported, by_all, len(point_ids)))
    return ConvergenceSeries(version, parties, steps, len(point_ids))


def _supports(position: Position | None) -> bool:
    return position is not None and position.stance == Stance.SUPPORTS


# --- From draft to draft --------------------------------------------------------------------

# A party "accepts" what it supports outright or accepts with conditions.
ACCEPTING = frozenset({Stance.SUPPORTS, Stance.CONDITIONAL})


@dataclass
class VersionAcceptance:
    version: Version
    accepted: dict[int, int]  # party id -> stances on the version (its points, the whole) that accept
    counted: dict[int, int]  # party id -> stances counted on the version

    def share(self, party_id: int) -> float | None:
        """The share of the party's stances on this version that accept; None if it took none."""
        counted = self.counted.get(party_id, 0)
        return self.accepted.get(party_id, 0) / counted if counted else None


@dataclass
class AcceptanceAcrossVersions:
    parties: list[Actor]
    rows: list[VersionAcceptance]  # versions in date order
    attributed: bool  # attributed stances counted too


def acceptance_across_versions(
    record: Record,
    positions: Iterable[Position | StanceRow],
    parties: list[Actor] | None = None,
    *,
    attributed: bool = False,
    versions: Sequence[Version] | None = None,
) -> AcceptanceAcrossVersions:
    """For each version (date order) on which a principal party holds a stance: the share of
    each party's stances on it (each point, and the version as a whole) that accept it
    (`ACCEPTING`). Stances are current ones chosen by the matrix rule (`counted_stances`),
    stated only unless `attributed`, as in the points filter. `positions`: current ones
    (`record.positions(current=True)`, or `current_stance_rows`). A party with no stance on a
    version has no share there (not 0 %): silence is not refusal. `versions`: those to
    tabulate (default every version on record)."""
    parties = record.principal_parties() if parties is None else parties
    by_version: dict[int, list[Position | StanceRow]] = {}
    for position in positions:
        by_version.setdefault(position.version_id, []).append(position)
    rows = []
    for version in oldest_first(record.versions() if versions is None else versions):
        chosen = counted_stances(by_version.get(version.pk, []), parties, stated_only=not attributed)
        if not chosen:
            continue
        accepted: dict[int, int] = {}
        counted: dict[int, int] = {}
        for (_subject, party_id), position in chosen.items():
            counted[party_id] = counted.get(party_id, 0) + 1
            accepted[party_id] = accepted.get(party_id, 0) + (position.stance in ACCEPTING)
        rows.append(VersionAcceptance(version, accepted, counted))
    return AcceptanceAcrossVersions(parties, rows, attributed)


@dataclass
class VersionStances:
    version: Version
    cells: list[PartyStance]  # each party's stance on the version as a whole (matrix rule)


def stances_across_versions(
    record: Record,
    parties: list[Actor] | None = None,
    positions: list[Position] | None = None,
    *,
    versions: Sequence[Version] | None = None,
) -> list[VersionStances]:
    """Each principal party's current stance on each version as a whole, versions in date
    order: how far apart the parties are from draft to draft. Versions no party took a stance
    on are left out. Attributed stances are shown, marked, as in the matrix. `positions`:
    current ones already loaded (those on points are skipped), else read here. `versions`:
    those to show (default every version on record; only their stances are read)."""
    parties = record.principal_parties() if parties is None else parties
    if positions is None:
        filters = {} if versions is None else {"version_id__in": sorted(v.pk for v in versions)}
        positions = record.positions(current=True, provision__isnull=True, **filters)
    by_version: dict[int, list[Position]] = {}
    for position in positions:
        if position.provision_id is None:
            by_version.setdefault(position.version_id, []).append(position)
    rows = []
    for version in oldest_first(record.versions() if versions is None else versions):
        chosen = counted_stances(by_version.get(version.pk, []), parties)
        cells = [cell(chosen, None, party) for party in parties]
        if any(item.position for item in cells):
            rows.append(VersionStances(version, cells))
    return rows


def oldest_first(versions: Iterable[Version]) -> list[Version]:
    """Oldest first, as the tables "from draft to draft" read (by date, then id)."""
    return sorted(versions, key=lambda v: (v.dated, v.pk))


# --- A page of versions -------------------------------------------------------------------

# Versions per page of the tables "from draft to draft": the demo record's 14 fit on one, and
# a chart of more than this many steps is no longer readable on a phone.
VERSIONS_PER_PAGE = 30


@dataclass
class VersionsPage(NewestFirstPage):
    versions: list[Version]  # date order, oldest first
    number: int  # 1: the newest versions
    has_older: bool


def versions_page(record: Record, number: int = 1, size: int = VERSIONS_PER_PAGE) -> VersionsPage:
    """Page `number` (from 1, newest first) of the record's versions, each page in date order."""
    ordered = oldest_first(record.versions())
    end = max(len(ordered) - (number - 1) * size, 0)
    return VersionsPage(ordered[max(end - size, 0) : end], number, end > size)


@dataclass(slots=True)
class StanceRow:
    """A current stance with only what the counts read: its subject, actor, stance,
    attribution and recency (`actors.stances` reads these), not a model instance."""

    pk: int
    actor_id: int
    version_id: int
    provision_id: int | None
    stance: str
    attribution: str
    taken_on: date
    actor: Actor  # for who the actor speaks for (`represents_id`)


def current_stance_rows(record: Record, versions: Sequence[Version]) -> list[StanceRow]:
    """Every current stance on `versions` (their points and each as a whole), live or as of the
    record's moment, chosen by the one rule in SQL (`current_in_sql`, which works on history rows
    too) and read as plain values: one query, as many rows as those versions hold."""
    ids = sorted(version.pk for version in versions)
    if record.is_live:
        positions = Position.objects.filter(version_id__in=ids)
    else:
        positions = records.as_of(Position, record.moment).filter(version_id__in=ids)
    columns = ("id", "actor_id", "version_id", "provision_id", "stance", "attribution", "taken_on")
    actors = record.actors()
    return [
        StanceRow(*row, actor=actors[row[1]])
        for row in current_in_sql(positions).order_by().values_list(*columns)
        if row[1] in actors  # as of a date, only actors then on record (as `record.actors()`)
    ]


@dataclass
class DraftToDraft:
    """The two tables "from draft to draft", over one page of versions."""

    acceptance: AcceptanceAcrossVersions
    across: list[VersionStances]
    page: VersionsPage


def draft_to_draft(record: Record, *, number: int = 1, attributed: bool = False) -> DraftToDraft:
    """Both tables "from draft to draft" for page `number` of versions (`versions_page`): reads
    those versions' current stances only (as values), and their stances on each version as a
    whole with what a cell shows (sources…), so a page costs the same whatever the record holds."""
    page = versions_page(record, number)
    acceptance = acceptance_across_versions(
        record, current_stance_rows(record, page.versions), attributed=attributed, versions=page.versions
    )
    across = stances_across_versions(record, versions=page.versions)
    return DraftToDraft(acceptance, across, page)
