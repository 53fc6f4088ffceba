"""The source page: a source and everything on record that cites it, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window
from django.http import Http404

from actors.models import Account, Claim, Event, Position
from history import records
from provisions.models import ControlObservation, Source, Territory, Version

from ..record import Record

# --- Sources ---------------------------------------------------------------------------

# Rows of each kind per page: a source cited by thousands of stances shows the newest 50.
CITATIONS_PER_PAGE = 50


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
    source = Source.objects.filter(pk=pk).first()
    if source is None:
        raise Http404("No such source.")
    window = slice((number - 1) * size, number * size)
    read = _live_citations if record.is_live else _past_citations
    citing = read(record, source, window)
    counts = {name: count for name, (_rows, count) in citing.items()}
    rows = {name: found for name, (found, _count) in citing.items()}
    return SourceCitations(source, **rows, counts=counts, number=number, size=size)


def _live_citations(record: Record, source: Source, window: slice) -> dict[str, tuple[list[Any], int]]:
    pk = source.pk
    # Each read no wider than what the page shows (no sources of the citing rows).
    positions = Position.objects.filter(sources=pk).select_related("actor", "version", "provision")
    events = Event.objects.filter(sources=pk)
    observations = ControlObservation.objects.filter(source_id=pk).select_related("territory")
    accounts = Account.objects.filter(source_id=pk).select_related("claim", "actor")
    cited = set(Version.sources.through.objects.filter(source_id=pk).values_list("version_id", flat=True))
    found = {
        "positions": _counted_page(positions.order_by("-taken_on", "-id"), window),
        "events": _counted_page(events.order_by("-occurred_on", "-id"), window),
        "observations": _counted_page(observations.order_by("-observed_on", "-id"), window),
        "accounts": _counted_page(accounts.order_by("-reported_on", "-id"), window),
        "versions": _versions_page(record, cited, window),
    }
    for account in found["accounts"][0]:
        account.source = source
    return found


def _counted_page(rows: QuerySet, window: slice) -> tuple[list[Any], int]:
    """The rows of `rows` in `window` and how many there are in all, in one query (the count
    rides along as a window function, computed before the page is cut)."""
    page = list(rows.annotate(citing_total=Window(Count("pk")))[window])
    if page:
        return page, page[0].citing_total
    return [], rows.count() if window.start else 0  # past the last page: count them apart


def _versions_page(record: Record, cited: set[int], window: slice) -> tuple[list[Version], int]:
    """Versions whose text cites the source, newest first (from `record.versions()`, read once per page)."""
    versions = [v for v in record.versions() if v.pk in cited]
    return versions[window], len(versions)


def _past_citations(record: Record, source: Source, window: slice) -> dict[str, tuple[list[Any], int]]:
    """As of the record's moment: history rows citing the source are picked in SQL (the
    many-to-many history of each state), then only the page's rows are read as records."""
    moment, pk = record.moment, source.pk

    def citing(model: type, field: str = "sources") -> QuerySet:
        states = records.m2m_history_model(model, field).objects.filter(source_id=pk).values("history_id")
        return records.as_of(model, moment).filter(history_id__in=states)

    position_ids, position_count = _counted_ids(citing(Position).order_by("-taken_on", "-id"), window)
    positions = record.positions(id__in=position_ids, with_sources=False) if position_ids else []

    event_ids, event_count = _counted_ids(citing(Event).order_by("-occurred_on", "-id"), window)
    events = _in_order(records.as_of(Event, moment).filter(id__in=event_ids), event_ids)

    rows = records.as_of(ControlObservation, moment).filter(source_id=pk).order_by("-observed_on", "-id")
    observation_ids, observation_count = _counted_ids(rows, window)
    observations = _in_order(records.as_of(ControlObservation, moment).filter(id__in=observation_ids), observation_ids)
    territory_ids = {o.territory_id for o in observations}
    territories = {t.pk: t for t in records.as_of(Territory, moment).filter(id__in=territory_ids)}
    observations = [o for o in observations if o.territory_id in territories]
    for observation in observations:
        observation.territory = territories[observation.territory_id]

    rows = records.as_of(Account, moment).filter(source_id=pk).order_by("-reported_on", "-id")
    account_ids, account_count = _counted_ids(rows, window)
    accounts = _in_order(records.as_of(Account, moment).filter(id__in=account_ids), account_ids)
    claims = {c.pk: c for c in records.as_of(Claim, moment).filter(id__in={a.claim_id for a in accounts})}
    actors = record.actors()
    accounts = [a for a in accounts if a.claim_id in claims]
    for account in accounts:
        account.claim, account.source, account.actor = claims[account.claim_id], source, actors.get(account.actor_id)

    versions = record.versions()
    states = {records.history_record_of(v).history_id: v.pk for v in versions}
    texts = records.m2m_history_model(Version, "sources").objects.filter(source_id=pk, history_id__in=list(states))
    cited = {states[history_id] for history_id in texts.values_list("history_id", flat=True)}
    return {
        "positions": (positions, position_count),
        "events": (events, event_count),
        "observations": (observations, observation_count),
        "accounts": (accounts, account_count),
        "versions": _versions_page(record, cited, window),
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
