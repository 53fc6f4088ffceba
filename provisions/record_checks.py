"""Checks that keep the record checkable: every fact cites a source, every source can be
found, dates say no more than is known, point texts hold only the text.

They live in `provisions`, the app that may read the whole record (it already builds on
`actors` for stances; `actors` reads only `provisions` models).
`check_record` prints them on a live database; the suite runs them on the shipped record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch

from actors.models import Account, Actor, Event, Position
from history.dating import DatePrecision, precision_error
from provisions.choices import PointTextBasis
from provisions.models import ControlObservation, Provision, Source, Version

# A stance is dated the day it was taken; its first report may come a little later
# (next-morning papers, time zones), but not weeks later: that date would have no support.
STANCE_MAY_PRECEDE_ITS_FIRST_SOURCE_BY = timedelta(days=3)

# Words that mark editorial commentary, which belongs in a point's note, not its text.
COMMENTARY_MARKERS = re.compile(
    r"\b(the point does not|does not elaborate|does not specify|does not say|it is unclear|"
    r"unclear whether|editor'?s note|our (?:summary|reading)|this record|not reported)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Problem:
    kind: str  # what sort of record, e.g. "stance"
    record: str  # which one, readable
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.record}: {self.message}"


def commentary_in(text: str) -> str | None:
    """The first commentary marker in a point text, or None."""
    found = COMMENTARY_MARKERS.search(text or "")
    return found.group(0) if found else None


def record_problems() -> list[Problem]:
    """Every problem on record, in a fixed number of queries whatever the amount of data."""
    problems: list[Problem] = []
    problems += _source_problems()
    problems += _version_and_point_problems()
    problems += _stance_problems()
    problems += _event_problems()
    problems += _figure_and_account_problems()
    problems += _actor_problems()
    return problems


def _source_problems() -> list[Problem]:
    problems = []
    for source in Source.objects.order_by("id"):
        label = f"#{source.pk} {source.publisher}: {source.title[:60]}"
        if not source.url and not source.url_missing_reason.strip():
            problems.append(Problem("source", label, "no web address and no reason why"))
        if source.published_on is None:
            problems.append(Problem("source", label, "no date"))
        elif problem := precision_error(source.published_on, source.published_on_precision):
            problems.append(Problem("source", label, problem))
    return problems


def _version_and_point_problems() -> list[Problem]:
    problems = []
    versions = Version.objects.prefetch_related("sources").order_by("dated", "id")
    sourced_versions = set()
    for version in versions:
        if version.sources.all():
            sourced_versions.add(version.pk)
        else:
            problems.append(Problem("version", version.label, "cites no source"))
        if problem := precision_error(version.dated, version.dated_precision):
            problems.append(Problem("version", version.label, problem))
    points = Provision.objects.select_related("version").prefetch_related("sources").order_by("version_id", "sort_key")
    for point in points:
        label = f"{point.version.label} #{point.number}"
        if point.text_basis == PointTextBasis.NOT_REPORTED:
            continue
        if not point.sources.all() and point.version_id not in sourced_versions:
            problems.append(Problem("point", label, "its text cites no source (nor does its version)"))
        if marker := commentary_in(point.text):
            problems.append(Problem("point", label, f"commentary in the text (“{marker}”): move it to the note"))
    return problems


def _stance_problems() -> list[Problem]:
    problems = []
    positions = Position.objects.select_related("actor", "version", "provision").prefetch_related(
        Prefetch("sources", queryset=Source.objects.only("id", "published_on"))
    )
    for position in positions.order_by("id"):
        subject = f"#{position.provision.number}" if position.provision_id else "(whole)"
        label = f"{position.actor.name} on {position.version.label} {subject}, {position.taken_on}"
        sources = list(position.sources.all())
        if not sources:
            problems.append(Problem("stance", label, "cites no source"))
        dates = [s.published_on for s in sources if s.published_on]
        if dates and len(dates) == len(sources):
            first = min(dates)
            if position.taken_on_precision == DatePrecision.MONTH:
                too_early = (position.taken_on.year, position.taken_on.month) < (first.year, first.month)
            else:
                too_early = first - position.taken_on > STANCE_MAY_PRECEDE_ITS_FIRST_SOURCE_BY
            if too_early:
                problems.append(Problem("stance", label, f"predates all its sources (first: {first})"))
        if problem := precision_error(position.taken_on, position.taken_on_precision):
            problems.append(Problem("stance", label, problem))
    return problems


def _event_problems() -> list[Problem]:
    problems = []
    for event in Event.objects.prefetch_related("sources").order_by("occurred_on", "id"):
        label = f"{event.occurred_on} {event.title[:60]}"
        if not event.sources.all():
            problems.append(Problem("event", label, "cites no source"))
        if problem := precision_error(event.occurred_on, event.date_precision):
            problems.append(Problem("event", label, problem))
    return problems


def _figure_and_account_problems() -> list[Problem]:
    # Both point at one source through a required key; what can still go wrong is the date.
    problems = []
    for figure in ControlObservation.objects.select_related("territory").order_by("id"):
        if problem := precision_error(figure.observed_on, figure.observed_on_precision):
            problems.append(Problem("control figure", f"{figure.territory.name} {figure.observed_on}", problem))
    for account in Account.objects.select_related("source").order_by("id"):
        if account.source.published_on and account.reported_on < account.source.published_on - timedelta(days=3):
            label = f"{account.claimant[:60]}, {account.reported_on}"
            problems.append(Problem("account", label, f"dated before its source ({account.source.published_on})"))
    return problems


def _actor_problems() -> list[Problem]:
    by_name: dict[str, list[Actor]] = defaultdict(list)
    for actor in Actor.objects.order_by("id"):
        by_name[" ".join(actor.name.casefold().split())].append(actor)
    return [
        Problem("actor", actors[0].name, f"{len(actors)} actors share this name ({', '.join(a.slug for a in actors)})")
        for actors in by_name.values()
        if len(actors) > 1
    ]
