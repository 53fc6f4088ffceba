"""The source page: a source and everything on record that cites it, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from actors.models import Account, Claim, Event, Position
from history import records
from provisions.models import ControlObservation, Source, Territory, Version

from ..record import Record
from .paging import NewestFirstPage

# --- Sources ---------------------------------------------------------------------------

# Rows of each kind per page: a source cited by thousands of stances shows the newest 50.
CITATIONS_PER_PAGE = 50


@dataclass
class SourceCitations(NewestFirstPage):
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
        # The counts as of the moment ride along with the source (read as it is now).
        kinds = _past_counts(record, pk)
        source = Source.objects.filter(pk=pk).annotate(**{f"cited_by_{name}": n for name, n in kinds.items()}).first()
        if source is None:
            raise Http404("No such source.")
        counts = {name: getattr(source, f"cited_by_{name}") for name in kinds}
        rows = _past_citations(record, source, window)
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


def _citing_as_of(record: Record, pk: int) -> dict[str, QuerySet]:
    """As of the record's moment, the history rows of each kind citing source `pk` (for a
    many-to-many citation, picked by the many-to-many history of each state), newest first."""
    moment = record.moment

    def citing(model: type) -> QuerySet:
        states = records.m2m_history_model(model, "sources").objects.filter(source_id=pk).values("history_id")
        return records.latest_rows(model, moment).filter(history_id__in=states)

    return {
        "positions": citing(Position).order_by("-taken_on", "-id"),
        "events": citing(Event).order_by("-occurred_on", "-id"),
        "observations": records.latest_rows(ControlObservation, moment)
        .filter(source_id=pk)
        .order_by("-observed_on", "-id"),
        "accounts": records.latest_rows(Account, moment).filter(source_id=pk).order_by("-reported_on", "-id"),
        "versions": citing(Version).order_by("-dated", "-id"),
    }


# Each kind's models and the fields its newest-first order reads.
_PAST_KINDS: dict[str, tuple[type, tuple[str, str]]] = {
    "positions": (Position, ("taken_on", "id")),
    "events": (Event, ("occurred_on", "id")),
    "observations": (ControlObservation, ("observed_on", "id")),
    "accounts": (Account, ("reported_on", "id")),
    "versions": (Version, ("dated", "id")),
}


def _past_counts(record: Record, pk: int) -> dict[str, Coalesce]:
    """How many of each kind cited source `pk` at the record's moment, each a subquery."""
    counts = {}
    for name, rows in _citing_as_of(record, pk).items():
        per_kind = (
            rows.order_by().annotate(citing_kind=Value(name)).values("citing_kind").annotate(n=Count("*")).values("n")
        )
        counts[name] = Coalesce(Subquery(per_kind), 0)
    return counts


def _past_citations(record: Record, source: Source, window: slice) -> dict[str, list[Any]]:
    """As of the record's moment: the page of each kind citing the source, with the records
    they show (a stance's version and point, a figure's territory, an account's claim), in one
    `read_as_of` call (two queries), each kind cut to the page in SQL."""
    moment, pk = record.moment, source.pk
    start, size = window.start, window.stop - window.start

    def citing(model: type) -> Q:
        return Q(
            history_id__in=records.m2m_history_model(model, "sources").objects.filter(source_id=pk).values("history_id")
        )

    def on_record_then(where: Q, key: str, model: type) -> Q:
        # Rows whose `key` names a record not on record then are not shown (nor in the page).
        return where & Q(**{f"{key}_id__in": records.ids_as_of(model, moment)})

    # What each row shows of another record (a stance's point, a figure's territory, an
    # account's claim) as it stood then, read along with the page's rows.
    wheres = {
        "positions": (
            on_record_then(citing(Position), "version", Version),
            {"named": ("actor",), "along": ("version", "provision")},
        ),
        "events": (citing(Event), {}),
        "observations": (on_record_then(Q(source_id=pk), "territory", Territory), {"along": ("territory",)}),
        "accounts": (on_record_then(Q(source_id=pk), "claim", Claim), {"named": ("actor",), "along": ("claim",)}),
        "versions": (citing(Version), {}),
    }
    reads = {
        name: records.AsOfRead(model, wheres[name][0], newest=newest, limit=size, offset=start, **wheres[name][1])
        for name, (model, newest) in _PAST_KINDS.items()
    }
    found = {}
    for name, rows in records.read_as_of(moment, reads).rows.items():
        newest = _PAST_KINDS[name][1]
        found[name] = sorted(rows, key=lambda row, n=newest: tuple(getattr(row, f) for f in n), reverse=True)

    for account in found["accounts"]:
        account.source = source

    return {
        "positions": found["positions"],
        "events": found["events"],
        "observations": found["observations"],
        "accounts": found["accounts"],
        "versions": found["versions"],
    }
