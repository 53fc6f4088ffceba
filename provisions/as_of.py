"""Plans' versions, points and territories as they stood at a past moment, for the
dashboard and the API (stances and events: `actors.as_of`).

Everything here reads history through `history.records`; each function runs a
fixed number of queries whatever the amount of data. Related rows that are not
themselves "as of" (an actor's name, a territory's name) are read as they are now,
or as they last stood if deleted since (`history.records.live_or_last_known`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from actors.as_of import positions_as_of
from actors.models import Position
from actors.stances import current_of
from history.records import as_of, live_or_last_known, m2m_as_of

from .models import ControlObservation, Provision, Source, TerritorialDisposition, Territory, Version


def versions_as_of(moment: datetime) -> list[Version]:
    return sorted(as_of(Version, moment), key=lambda v: (v.dated, v.pk), reverse=True)


def provisions_as_of(
    moment: datetime, *, version_id: int | None = None, provision_ids: list[int] | None = None, **filters: Any
) -> list[Provision]:
    """Points as stored at `moment`, in point order, each carrying `.dispositions_list`
    and `.stances` (current stances as of then; see `provisions.points` for the vocabulary).
    `filters`: lookups on the point's own stored fields (e.g. `status`), applied in SQL."""
    rows = as_of(Provision, moment).filter(**filters)
    if version_id is not None:
        rows = rows.filter(version_id=version_id)
    if provision_ids is not None:
        rows = rows.filter(id__in=provision_ids)
    points = sorted(rows, key=lambda p: (p.version_id, p.sort_key))
    ids = [p.pk for p in points]

    dispositions = list(as_of(TerritorialDisposition, moment).filter(provision_id__in=ids))
    territories = live_or_last_known(Territory, {d.territory_id for d in dispositions})
    by_point: dict[int, list[TerritorialDisposition]] = defaultdict(list)
    for item in sorted(dispositions, key=lambda d: territories[d.territory_id].name):
        item.territory = territories[item.territory_id]
        by_point[item.provision_id].append(item)

    positions = current_of(positions_as_of(moment, provision_id__in=ids))
    stances: dict[int, list[Position]] = defaultdict(list)
    for position in positions:
        stances[position.provision_id].append(position)

    source_ids = m2m_as_of(Provision, "sources", points)
    sources = live_or_last_known(Source, {pk for ids in source_ids.values() for pk in ids})

    for point in points:
        point.dispositions_list = by_point[point.pk]
        point.stances = sorted(stances[point.pk], key=lambda p: p.actor.name)
        point.source_list = [sources[pk] for pk in source_ids[point.pk] if pk in sources]
    return points


def territories_as_of(moment: datetime) -> list[Territory]:
    """Territories as stored then, each with `.observations_list` (newest first)."""
    territories = sorted(as_of(Territory, moment), key=lambda t: t.name)
    observations = list(as_of(ControlObservation, moment))
    sources = live_or_last_known(Source, {o.source_id for o in observations})
    by_territory: dict[int, list[ControlObservation]] = defaultdict(list)
    for observation in sorted(observations, key=lambda o: (o.observed_on, o.pk), reverse=True):
        observation.source = sources[observation.source_id]
        by_territory[observation.territory_id].append(observation)
    for territory in territories:
        territory.observations_list = by_territory[territory.pk]
    return territories
