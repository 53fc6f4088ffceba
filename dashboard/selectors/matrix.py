"""The stance matrix: points as rows, parties as columns, each cell by the speaks-for rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from actors.choices import Stance
from actors.models import Actor, Position
from actors.stances import ATTRIBUTED, NO_STANCE, counted_stances
from provisions.models import Provision, Version

from ..record import Record

STANCE_LETTERS = {
    Stance.SUPPORTS: "S",
    Stance.CONDITIONAL: "C",
    Stance.OPPOSES: "O",
    Stance.MIXED: "M",
    Stance.UNCLEAR: "?",
}


@dataclass(frozen=True)
class PartyStance:
    """A party's stance on one subject (a point, or the version as a whole)."""

    party: Actor
    position: Position | None = None
    via: Actor | None = None  # the representative whose stance stands in for the party's

    @property
    def stance(self) -> str:
        return self.position.stance if self.position else NO_STANCE

    @property
    def attributed(self) -> bool:
        """The stance is attributed to the party by others, not stated by it."""
        return self.position is not None and self.position.attribution == ATTRIBUTED


def cell(chosen: dict[tuple[int | None, int], Position], subject: int | None, party: Actor) -> PartyStance:
    """The cell of `party` for `subject`, from `actors.stances.counted_stances`."""
    position = chosen.get((subject, party.pk))
    if position is None:
        return PartyStance(party)
    return PartyStance(party, position, via=None if position.actor_id == party.pk else position.actor)


@dataclass
class MatrixRow:
    point: Provision
    cells: list[PartyStance]


@dataclass
class StanceMatrix:
    version: Version
    parties: list[Actor]
    whole: list[PartyStance]  # each party's stance on the version as a whole
    rows: list[MatrixRow]

    @property
    def recorded(self) -> int:
        """How many cells (whole-version row included) hold a stance."""
        return sum(1 for item in self.whole if item.position) + sum(
            1 for row in self.rows for item in row.cells if item.position
        )


def stance_matrix(
    record: Record, version: Version, points: list[Provision], parties: list[Actor] | None = None
) -> StanceMatrix:
    """Points as rows, parties (the principal ones by default) as columns."""
    parties = record.principal_parties() if parties is None else parties
    on_points = [position for point in points for position in point.stances]
    on_whole = record.whole_version_stances(version)
    chosen = counted_stances([*on_points, *on_whole], parties)
    return StanceMatrix(
        version=version,
        parties=parties,
        whole=[cell(chosen, None, party) for party in parties],
        rows=[MatrixRow(point, [cell(chosen, point.pk, party) for party in parties]) for point in points],
    )


def stance_counts(cells: Iterable[PartyStance], out_of: int | None = None) -> dict[str, int]:
    """How many cells hold each stance; "none" counts the cells without one, or, given `out_of`
    (how many subjects in all, cells of subjects nobody took a stance on left out), the rest."""
    counts = Counter(item.stance for item in cells)
    if out_of is not None:
        counts[NO_STANCE] = out_of - sum(counts[value] for value in Stance.values)
    return {value: counts[value] for value in [*Stance.values, NO_STANCE]}
