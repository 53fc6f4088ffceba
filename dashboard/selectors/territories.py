"""The territories page and its map: proposed dispositions and control figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from provisions.models import ControlObservation, Territory

from ..record import Record

# --- Territories -------------------------------------------------------------------------


@dataclass
class TerritoryRow:
    territory: Territory
    dispositions: list[Any]  # TerritorialDisposition, each with `.point`
    observations: list[ControlObservation]  # the latest per source, newest first
    inherited: list[Any] = field(default_factory=list)  # dispositions of the parts inside it

    @property
    def codes(self) -> list[str]:
        return sorted({d.disposition for d in self.dispositions})


def territory_rows(record: Record, dispositions: list[Any]) -> list[TerritoryRow]:
    """Every territory with the given dispositions (`Record.dispositions`: each with `.point`)
    and its latest control figures (one per source: sources disagree, none overrides another)."""
    territories = record.territories()
    proposed: dict[int, list[Any]] = defaultdict(list)
    for disposition in dispositions:
        proposed[disposition.territory_id].append(disposition)
    rows = []
    for territory in territories:
        latest: dict[int, ControlObservation] = {}
        for observation in territory.observations_list:
            latest.setdefault(observation.source_id, observation)
        rows.append(TerritoryRow(territory, proposed[territory.pk], list(latest.values())))
    by_id = {row.territory.pk: row for row in rows}
    for row in rows:
        parent = by_id.get(row.territory.parent_id)
        if parent is not None:
            parent.inherited.extend(row.dispositions)
    return rows
