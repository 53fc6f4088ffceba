"""The timeline page and feed: events, stances taken, texts published, accounts, corrections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import reverse

from actors.models import Actor, Position
from actors.stances import speaks_for
from history.models import EDIT_ACTIONS
from provisions.models import Source

from ..record import Record
from .changes import claim_url, describe_changes
from .paging import NewestFirstPage

# --- Timeline ----------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    day: date
    kind: str  # "event", "stance", "version", "account" or "edit"
    title: str
    url: str
    body: str = ""
    sources: list[Source] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    stance: str = ""
    anchor: str = ""
    precision: str = "day"  # how much of `day` is known (provisions.choices.DatePrecision)
    order: int = 0

    @property
    def sort_key(self) -> tuple[date, int, int]:
        return (self.day, {"version": 4, "event": 3, "stance": 2, "account": 1, "edit": 0}[self.kind], self.order)


TIMELINE_KINDS = {
    "event": "Events",
    "stance": "Stances taken",
    "version": "Texts published",
    "account": "Competing accounts",
    "edit": "Corrections to the record",
}


def _involves(actor: Actor, party: Actor | None) -> bool:
    return party is None or speaks_for(actor, party)


def timeline_reads(record: Record, *, party: Actor | None = None, limit: int = 200) -> dict[str, Any]:
    """The arguments of `Record.read_ahead` for what `timeline` reads from history as of a date
    (events, stances, accounts), so that a page showing a timeline can read them with its own."""
    actors = record.actors()
    involved = None if party is None else [a.pk for a in actors.values() if _involves(a, party)]
    filters = {} if party is None else {"actor_id__in": involved}
    return {
        "events": [{"actor_ids": involved, "limit": limit}],
        "positions": [{"limit": limit, **filters}],
        "accounts": [{"actor_ids": involved, "limit": limit}],
    }


def timeline(record: Record, *, party: Actor | None = None, limit: int = 200) -> list[TimelineEntry]:
    """Dated entries, newest first: events, stances taken, texts published, competing
    accounts, and corrections to the record (updates and deletions in the change log).

    With `party`, only what involves that party or a person who represents it.

    Reads a page's worth, not the record: the newest `limit` entries overall are among the
    newest `limit` of each kind (within a kind, entries sort by day and id, as overall),
    so each kind is read newest first, `limit` rows at most, and the few merged.
    """
    actors = record.actors()
    involved = None if party is None else [a.pk for a in actors.values() if _involves(a, party)]
    filters = {} if party is None else {"actor_id__in": involved}
    record.read_ahead(**timeline_reads(record, party=party, limit=limit))
    entries: list[TimelineEntry] = []
    for event in record.events(actor_ids=involved, limit=limit):
        entries.append(
            TimelineEntry(
                day=event.occurred_on,
                kind="event",
                title=event.title,
                url=reverse("provisions:timeline") + f"#event-{event.pk}",
                body=event.description,
                sources=event.source_list,
                actors=event.actor_list,
                anchor=f"event-{event.pk}",
                precision=event.date_precision,
                order=event.pk,
            )
        )
    for position in record.positions(limit=limit, **filters):
        entries.append(_stance_entry(position))
    versions = [v for v in record.versions() if party is None or v.proposed_by_id == party.pk]
    for version in sorted(versions, key=lambda v: (v.dated, v.pk), reverse=True)[:limit]:
        entries.append(
            TimelineEntry(
                day=version.dated,
                precision=version.dated_precision,
                kind="version",
                title=f"{version.plan.name}: {version.label}",
                url=version.get_absolute_url(),
                body=version.summary,
                actors=[actors[version.proposed_by_id]] if version.proposed_by_id in actors else [],
                order=version.pk,
            )
        )
    for account in record.accounts(involved, limit=limit):
        entries.append(
            TimelineEntry(
                day=account.reported_on,
                kind="account",
                title=f"{account.claimant} on “{account.claim.question}”",
                url=claim_url(account.claim),
                body=account.says,
                sources=[account.source],
                actors=[account.actor] if account.actor else [],
                order=account.pk,
            )
        )
    for change in describe_changes(record, record.changes(limit=limit, actions=EDIT_ACTIONS)):
        if party is not None and not (change.actor and _involves(change.actor, party)):
            continue
        entries.append(
            TimelineEntry(
                day=change.change.changed_at.date(),
                kind="edit",
                title=change.label,
                url=change.url,
                body=change.summary,
                actors=[change.actor] if change.actor else [],
                order=change.change.pk,
            )
        )
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries[:limit]


TIMELINE_PAGE = 200


@dataclass
class TimelinePage(NewestFirstPage):
    entries: list[TimelineEntry]
    number: int
    has_older: bool


def timeline_page(
    record: Record, *, party: Actor | None = None, number: int = 1, size: int = TIMELINE_PAGE
) -> TimelinePage:
    """Page `number` (from 1, newest first) of the timeline, saying whether older entries exist."""
    start = (number - 1) * size
    entries = timeline(record, party=party, limit=start + size + 1)
    return TimelinePage(entries[start : start + size], number, len(entries) > start + size)


def _stance_entry(position: Position) -> TimelineEntry:
    if position.provision_id:
        subject = f"point {position.provision.number} ({position.provision.title})"
        url = reverse("provisions:provision_detail", args=[position.provision_id])
    else:
        subject = f"“{position.version.label}” as a whole"
        url = reverse("actors:actor_detail", args=[position.actor_id])
    return TimelineEntry(
        day=position.taken_on,
        precision=position.taken_on_precision,
        kind="stance",
        title=f"{position.actor.name}: {position.get_stance_display().lower()} {subject}",
        url=url,
        body=position.summary,
        sources=position.source_list,
        actors=[position.actor],
        stance=position.stance,
        order=position.pk,
    )
