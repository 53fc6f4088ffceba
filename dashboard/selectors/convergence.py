"""The convergence page: from draft to draft, the share of its stances each principal party
accepts in each version; within one version, per date, the share of points each party supports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from actors.choices import Stance
from actors.models import Actor, Position
from actors.stances import ATTRIBUTED, counted_stances, current_of
from provisions.models import Provision, Version

from ..record import Record
from .matrix import PartyStance, cell

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
    positions: list[Position],
    parties: list[Actor] | None = None,
    *,
    attributed: bool = False,
) -> AcceptanceAcrossVersions:
    """For each version (date order) on which a principal party holds a stance: the share of
    each party's stances on it (each point, and the version as a whole) that accept it
    (`ACCEPTING`). Stances are current ones chosen by the matrix rule (`counted_stances`),
    stated only unless `attributed`, as in the points filter. `positions`: current ones
    (`record.positions(current=True)`). A party with no stance on a version has no share
    there (not 0 %): silence is not refusal."""
    parties = record.principal_parties() if parties is None else parties
    by_version: dict[int, list[Position]] = {}
    for position in positions:
        by_version.setdefault(position.version_id, []).append(position)
    rows = []
    for version in sorted(record.versions(), key=lambda v: (v.dated, v.pk)):
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
    record: Record, parties: list[Actor] | None = None, positions: list[Position] | None = None
) -> list[VersionStances]:
    """Each principal party's current stance on each version as a whole, versions in date
    order: how far apart the parties are from draft to draft. Versions no party took a stance
    on are left out. Attributed stances are shown, marked, as in the matrix. `positions`:
    current ones already loaded (those on points are skipped), else read here."""
    parties = record.principal_parties() if parties is None else parties
    if positions is None:
        positions = record.positions(current=True, provision__isnull=True)
    by_version: dict[int, list[Position]] = {}
    for position in positions:
        if position.provision_id is None:
            by_version.setdefault(position.version_id, []).append(position)
    rows = []
    for version in sorted(record.versions(), key=lambda v: (v.dated, v.pk)):
        chosen = counted_stances(by_version.get(version.pk, []), parties)
        cells = [cell(chosen, None, party) for party in parties]
        if any(item.position for item in cells):
            rows.append(VersionStances(version, cells))
    return rows
