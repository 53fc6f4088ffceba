"""Plans' versions, points and territories as they stood at a past moment, for the
dashboard and the API (stances and events: `actors.as_of`).

Everything here reads history through `history.records`: each reader runs two queries
whatever the amount of data (the states of every record type it needs, in one UNION ALL,
then the records they name). Related rows that are not themselves "as of" (an actor's name,
a territory's name) are read as they are now, or as they last stood if deleted since. The
`*_reads` / `*_from` pairs let a caller read these with other records in the same two
queries (`dashboard.record.Record`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Q

from actors.as_of import position_read, positions_from
from actors.models import Position
from actors.stances import current_of
from history.records import AsOfRead, Snapshot, ids_as_of, read_as_of

from .models import ControlObservation, Provision, Source, TerritorialDisposition, Territory


def point_reads(moment: datetime, where: Q | None = None) -> dict[str, AsOfRead]:
    """What `points_from` needs: the points matching `where`, and the dispositions and
    positions of those points (filtered in the same query, over the as-of points)."""
    where = where or Q()
    wanted = ids_as_of(Provision, moment, where)
    return {
        "points": AsOfRead(Provision, where, m2m=("sources",), named=("sources",)),
        "dispositions": AsOfRead(TerritorialDisposition, Q(provision_id__in=wanted), named=("territory",)),
        "positions": position_read(Q(provision_id__in=wanted)),
    }


def points_from(
    snapshot: Snapshot,
    points: list[Provision],
    dispositions: list[TerritorialDisposition],
    positions: list[Position],
) -> list[Provision]:
    """`points` in point order, each carrying `.dispositions_list`, `.stances` (current stances,
    from `positions`: see `provisions.points` for the vocabulary) and `.source_list`."""
    points = sorted(points, key=lambda p: (p.version_id, p.sort_key))
    by_point: dict[int, list[TerritorialDisposition]] = defaultdict(list)
    for item in sorted(dispositions, key=lambda d: d.territory.name):
        by_point[item.provision_id].append(item)
    ids = {point.pk for point in points}
    stances: dict[int, list[Position]] = defaultdict(list)
    for position in current_of(p for p in positions if p.provision_id in ids):
        stances[position.provision_id].append(position)
    for point in points:
        point.dispositions_list = by_point[point.pk]
        point.stances = sorted(stances[point.pk], key=lambda p: p.actor.name)
        point.source_list = snapshot.names(Source, point.sources_ids)
    return points


def provisions_as_of(
    moment: datetime, *, version_id: int | None = None, provision_ids: list[int] | None = None, **filters: Any
) -> list[Provision]:
    """Points as stored at `moment`, in point order, each carrying `.dispositions_list`
    and `.stances` (current stances as of then; see `provisions.points` for the vocabulary).
    `filters`: lookups on the point's own stored fields (e.g. `status`), applied in SQL."""
    where = Q(**filters)
    if version_id is not None:
        where &= Q(version_id=version_id)
    if provision_ids is not None:
        where &= Q(id__in=provision_ids)
    snapshot = read_as_of(moment, point_reads(moment, where))
    positions = positions_from(snapshot, "positions")
    return points_from(snapshot, snapshot.rows["points"], snapshot.rows["dispositions"], positions)


def territory_reads() -> dict[str, AsOfRead]:
    """What `territories_from` needs: territories, and control figures with their sources named."""
    return {
        "territories": AsOfRead(Territory),
        "observations": AsOfRead(ControlObservation, named=("source",)),
    }


def territories_from(snapshot: Snapshot) -> list[Territory]:
    """Territories by name, each with `.observations_list` (newest first, each with `.source`)."""
    territories = sorted(snapshot.rows["territories"], key=lambda t: t.name)
    observations: list[ControlObservation] = snapshot.rows["observations"]
    by_territory: dict[int, list[ControlObservation]] = defaultdict(list)
    for observation in sorted(observations, key=lambda o: (o.observed_on, o.pk), reverse=True):
        by_territory[observation.territory_id].append(observation)
    for territory in territories:
        territory.observations_list = by_territory[territory.pk]
    return territories


def territories_as_of(moment: datetime) -> list[Territory]:
    """Territories as stored then, each with `.observations_list` (newest first)."""
    return territories_from(read_as_of(moment, territory_reads()))
