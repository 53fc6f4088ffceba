"""The source page: a source and everything on record that cites it, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.http import Http404

from actors.as_of import positions_as_of
from actors.models import Account, Claim, Event, Position
from history import records
from provisions.models import ControlObservation, Provision, Source, Territory, Version

from ..record import Record

# --- Sources ---------------------------------------------------------------------------

# Rows of each kind per page: a source cited by thousands of stances shows the newest 50.
CITATIONS_PER_PAGE = 50
# Far beyond any record; a larger page would skip more rows than the database can count (a 400).
MAX_CITATIONS_PAGE = 1_000_000


@dataclass
class SourceCitations:
    """One page of each kind of record citing the source (`positions`…), and how many
    of each cite it in all (`counts`, by the same names)."""

    source: Source
    positions: list[Position]
    events: list[Event]
    observations: list[ControlObservation]
    accounts: list[Account]
    versions: list[Version]
    counts: dict[str, int]
    number: int  # the page, from 1 (the newest of each kind)
    size: int

    @property
    def has_older(self) -> bool:
        return any(count > self.number * self.size for count in self.counts.values())

    @property
    def older(self) -> int | None:
        return self.number + 1 if self.has_older else None

    @property
    def newer(self) -> int | None:
        return self.number - 1 if self.number > 1 else None


def source_citations(record: Record, pk: int, *, number: int = 1, size: int = CITATIONS_PER_PAGE) -> SourceCitations:
    """A source and page `number` (from 1) of each kind of record citing it, newest first,
    live or as of the record's moment, with the count of each kind. Each kind is filtered,
    counted and paged in SQL, so a page reads at most `size` rows of each whatever the source
    is cited by."""
    window = slice((number - 1) * size, number * size)
    if record.is_live:
        # The counts ride along with the source itself: one query for all of them.
        kinds = _live_counts()
        source = Source.objects.filter(pk=pk).annotate(**{f"cited_by_{name}": n for name, n in kinds.items()}).first()
        if source is None:
            raise Http404("No such source.")
        counts = {name: getattr(source, f"cited_by_{name}") for name in kinds}
        rows = _live_citations(source, window)
    else:
        source = Source.objects.filter(pk=pk).first()
        if source is None:
            raise Http404("No such source.")
        citing = _past_citations(record, source, window)
        counts = {name: count for name, (_rows, count) in citing.items()}
        rows = {name: found for name, (found, _count) in citing.items()}
    return SourceCitations(source, **rows, counts=counts, number=number, size=size)


def _how_many(rows: QuerySet) -> Coalesce:
    """How many of `rows` cite the source of the outer query (by `source_id`), as a subquery."""
    per_source = rows.filter(source_id=OuterRef("pk")).order_by().values("source_id")
    return Coalesce(Subquery(per_source.annotate(n=Count("*")).values("n")), 0)


def _live_counts() -> dict[str, Coalesce]:
    """How many of each kind cite the source, each a subquery of the source's own read."""
    return {
        "positions": _how_many(Position.sources.through.objects.all()),
        "events": _how_many(Event.sources.through.objects.all()),
        "observations": _how_many(ControlObservation.objects.all()),
        "accounts": _how_many(Account.objects.all()),
        "versions": _how_many(Version.sources.through.objects.all()),
    }


def _live_citations(source: Source, window: slice) -> dict[str, list[Any]]:
    pk = source.pk
    # Each read no wider than what the page shows (no sources of the citing rows).
    positions = Position.objects.filter(sources=pk).select_related("actor", "version", "provision")
    observations = ControlObservation.objects.filter(source_id=pk).select_related("territory")
    accounts = Account.objects.filter(source_id=pk).select_related("claim", "actor")
    found = {
        "positions": list(positions.order_by("-taken_on", "-id")[window]),
        "events": list(Event.objects.filter(sources=pk).order_by("-occurred_on", "-id")[window]),
        "observations": list(observations.order_by("-observed_on", "-id")[window]),
        "accounts": list(accounts.order_by("-reported_on", "-id")[window]),
        "versions": list(Version.objects.filter(sources=pk).order_by("-dated", "-id")[window]),
    }
    for account in found["accounts"]:
        account.source = source
    return found


def _past_citations(record: Record, source: Source, window: slice) -> dict[str, tuple[list[Any], int]]:
    """As of the record's moment: history rows citing the source are picked in SQL (the
    many-to-many history of each state), then only the page's rows are read as records."""
    moment, pk = record.moment, source.pk

    def citing(model: type, field: str = "sources") -> QuerySet:
        states = records.m2m_history_model(model, field).objects.filter(source_id=pk).values("history_id")
        return records.as_of(model, moment).filter(history_id__in=states)

    def page_of(model: type, rows: QuerySet) -> tuple[list[Any], int]:
        ids, count = _counted_ids(rows, window)
        return _in_order(records.as_of(model, moment).filter(id__in=ids), ids), count

    position_ids, position_count = _counted_ids(citing(Position).order_by("-taken_on", "-id"), window)
    positions = positions_as_of(moment, id__in=position_ids) if position_ids else []
    versions = {v.pk: v for v in records.as_of(Version, moment).filter(id__in={p.version_id for p in positions})}
    point_ids = {p.provision_id for p in positions if p.provision_id}
    points = {p.pk: p for p in records.as_of(Provision, moment).filter(id__in=point_ids)} if point_ids else {}
    positions = [p for p in positions if p.version_id in versions]
    for position in positions:
        position.version = versions[position.version_id]
        position.provision = points.get(position.provision_id)

    events = page_of(Event, citing(Event).order_by("-occurred_on", "-id"))
    texts = page_of(Version, citing(Version).order_by("-dated", "-id"))

    rows = records.as_of(ControlObservation, moment).filter(source_id=pk).order_by("-observed_on", "-id")
    observations, observation_count = page_of(ControlObservation, rows)
    territory_ids = {o.territory_id for o in observations}
    territories = {t.pk: t for t in records.as_of(Territory, moment).filter(id__in=territory_ids)}
    observations = [o for o in observations if o.territory_id in territories]
    for observation in observations:
        observation.territory = territories[observation.territory_id]

    rows = records.as_of(Account, moment).filter(source_id=pk).order_by("-reported_on", "-id")
    accounts, account_count = page_of(Account, rows)
    claims = {c.pk: c for c in records.as_of(Claim, moment).filter(id__in={a.claim_id for a in accounts})}
    actors = record.actors()
    accounts = [a for a in accounts if a.claim_id in claims]
    for account in accounts:
        account.claim, account.source, account.actor = claims[account.claim_id], source, actors.get(account.actor_id)

    return {
        "positions": (positions, position_count),
        "events": events,
        "observations": (observations, observation_count),
        "accounts": (accounts, account_count),
        "versions": texts,
    }


def _counted_ids(rows: QuerySet, window: slice) -> tuple[list[int], int]:
    """The ids of the rows of `rows` in `window`, and how many there are in all: one query."""
    page = list(rows.annotate(citing_total=Window(Count("pk"))).values_list("id", "citing_total")[window])
    if page:
        return [row_id for row_id, _total in page], page[0][1]
    return [], rows.count() if window.start else 0


def _in_order(rows: QuerySet, ids: list[int]) -> list[Any]:
    by_id = {row.pk: row for row in rows} if ids else {}
    return [by_id[pk] for pk in ids if pk in by_id]
