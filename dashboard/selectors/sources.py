"""The source page: a source and everything on record that cites it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from actors.models import Account, Event, Position
from history import records
from provisions.models import ControlObservation, Source, Version

from ..record import Record

# --- Sources ---------------------------------------------------------------------------


@dataclass
class SourceCitations:
    source: Source
    positions: list[Position]
    events: list[Event]
    observations: list[ControlObservation]
    accounts: list[Account]
    versions: list[Version]


def source_citations(record: Record, pk: int) -> SourceCitations:
    """A source and everything on record that cites it."""
    source = Source.objects.filter(pk=pk).first()
    if source is None:
        raise Http404("No such source.")
    if record.is_live:
        # Filtered in SQL, each read no wider than what the page shows (no sources of the citing rows).
        positions = record.positions(sources=pk, with_sources=False)
        events = list(Event.objects.filter(sources=pk).order_by("-occurred_on", "-id"))
        observations = list(
            ControlObservation.objects.filter(source_id=pk)
            .select_related("territory")
            .order_by("territory__name", "-observed_on", "-id")
        )
        accounts = list(
            Account.objects.filter(source_id=pk).select_related("claim", "actor").order_by("-reported_on", "-id")
        )
        for account in accounts:
            account.source = source
    else:
        positions = _cited(record.positions(), pk)
        events = [e for e in record.events() if any(s.pk == pk for s in e.source_list)]
        observations = []
        for territory in record.territories():
            for observation in territory.observations_list:
                if observation.source_id == pk:
                    observation.territory = territory
                    observations.append(observation)
        accounts = [a for a in record.accounts() if a.source_id == pk]
    versions = record.versions()
    if record.is_live:
        cited = set(Version.sources.through.objects.filter(source_id=pk).values_list("version_id", flat=True))
    else:
        cited = {pk_ for pk_, ids in records.m2m_as_of(Version, "sources", versions).items() if pk in ids}
    versions = [v for v in versions if v.pk in cited]
    return SourceCitations(source, positions, events, observations, accounts, versions)


def _cited(positions: list[Position], pk: int) -> list[Position]:
    return [p for p in positions if any(s.pk == pk for s in p.source_list)]
