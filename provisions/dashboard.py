"""Reads behind the analysts' dashboard: the stance matrix, counts, the convergence
series, the territories table, the parties' profiles and the timeline.

Every read starts from a `Record`: the record as it stands now, or as it stood at a
past moment (through `provisions.as_of`). After loading, live rows and past rows carry
the same attributes, so each selector below is written once for both. Each selector
runs a fixed number of queries whatever the amount of data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.urls import reverse

from actors.choices import ActorKind, Stance
from actors.models import Account, Actor, Claim, Event, Position
from history import records
from history.models import Change, ChangeAction

from . import as_of as past
from .choices import Disposition, ProvisionStatus, Topic
from .diffing import DiffSegment, word_diff
from .models import ControlObservation, Plan, Provision, Source, Territory, Version
from .selectors import LineageStep, lineage_of

STANCE_LETTERS = {
    Stance.SUPPORTS: "S",
    Stance.CONDITIONAL: "C",
    Stance.OPPOSES: "O",
    Stance.MIXED: "M",
    Stance.UNCLEAR: "?",
}
NO_STANCE = "none"


# --- The record, live or as of a moment --------------------------------------------------


class Record:
    """The record as it stands now (`moment` is None) or as it stood at `moment`.

    Rows come back with the same attributes either way: points carry
    `.dispositions_list` (each with `.territory`) and `.stances` (current positions);
    positions carry `.source_list`; territories `.observations_list` (newest first, each
    with `.source`); events `.actor_list` and `.source_list`.
    """

    def __init__(self, moment: datetime | None = None) -> None:
        self.moment = moment
        self._actors: dict[int, Actor] | None = None
        self._versions: list[Version] | None = None

    @property
    def is_live(self) -> bool:
        return self.moment is None

    @property
    def day(self) -> date | None:
        return self.moment.date() if self.moment else None

    # Actors are read as they are now (names, who represents whom); as of a date,
    # those not yet on record are left out.
    def actors(self) -> dict[int, Actor]:
        if self._actors is None:
            actors = Actor.objects.select_related("represents").in_bulk()
            if not self.is_live:
                existing = set(records.as_of(Actor, self.moment).values_list("id", flat=True))
                actors = {pk: actor for pk, actor in actors.items() if pk in existing}
            self._actors = actors
        return self._actors

    def principal_parties(self) -> list[Actor]:
        actors = self.actors()
        return [actor for actor in Actor.objects.principal() if actor.pk in actors]

    def versions(self) -> list[Version]:
        """Versions latest first, each with `.point_count`."""
        if self._versions is None:
            if self.is_live:
                self._versions = list(
                    Version.objects.with_plan().latest_first().annotate(point_count=Count("provisions"))
                )
            else:
                versions = past.versions_as_of(self.moment)
                counts = Counter(records.as_of(Provision, self.moment).values_list("version_id", flat=True))
                plans = Plan.objects.in_bulk({v.plan_id for v in versions})
                actors = self.actors()
                by_id = {v.pk: v for v in versions}
                for version in versions:
                    version.plan = plans[version.plan_id]
                    version.proposed_by = actors.get(version.proposed_by_id)
                    version.revises = by_id.get(version.revises_id)
                    version.point_count = counts.get(version.pk, 0)
                self._versions = versions
        return self._versions

    def version(self, pk: int) -> Version:
        for version in self.versions():
            if version.pk == pk:
                return version
        raise Http404("No such version on record" + (f" on {self.day:%Y-%m-%d}." if self.day else "."))

    def points(self, version: Version) -> list[Provision]:
        """The points of `version` in order, with their dispositions and current stances."""
        if self.is_live:
            points = list(Provision.objects.in_version(version).with_relations().in_order())
            positions = (
                Position.objects.filter(version=version, provision__isnull=False)
                .select_related("actor", "actor__represents")
                .prefetch_related("sources")
                .current()
            )
            stances: dict[int, list[Position]] = defaultdict(list)
            for position in positions:
                position.source_list = list(position.sources.all())
                stances[position.provision_id].append(position)
            for point in points:
                point.version = version
                point.dispositions_list = list(point.dispositions.all())
                point.stances = sorted(stances[point.pk], key=lambda p: p.actor.name)
            return points
        points = past.provisions_as_of(self.moment, version_id=version.pk)
        for point in points:
            point.version = version
            point.dispositions_list = point.dispositions_as_of
            point.stances = point.positions_as_of
            for position in point.stances:
                position.source_list = position.sources_as_of
        return points

    def point(self, pk: int) -> Provision:
        """One point with its dispositions and current stances; 404 if not on record."""
        if self.is_live:
            version_id = Provision.objects.filter(pk=pk).values_list("version_id", flat=True).first()
        else:
            version_id = records.as_of(Provision, self.moment).filter(id=pk).values_list("version_id", flat=True)
            version_id = next(iter(version_id), None)
        if version_id is None:
            raise Http404("No such point on record" + (f" on {self.day:%Y-%m-%d}." if self.day else "."))
        version = self.version(version_id)
        for point in self.points(version):
            if point.pk == pk:
                return point
        raise Http404("No such point on record.")

    def positions(self, *, current: bool = False, **filters: Any) -> list[Position]:
        """Positions on record (newest first), each with `.actor`, `.provision`,
        `.version` and `.source_list`. `current=True` keeps each actor's latest per subject."""
        if self.is_live:
            rows = Position.objects.filter(**filters).with_relations().select_related("version__plan")
            if current:
                rows = rows.current()
            positions = list(rows.order_by("-taken_on", "-id"))
            for position in positions:
                position.source_list = list(position.sources.all())
            return positions
        positions = past.positions_as_of(self.moment, **filters)
        if current:
            positions = sorted(past.current_positions(positions), key=lambda p: (p.taken_on, p.pk), reverse=True)
        versions = {v.pk: v for v in self.versions()}
        point_ids = {p.provision_id for p in positions if p.provision_id}
        points = {p.pk: p for p in records.as_of(Provision, self.moment).filter(id__in=point_ids)}
        kept = []
        for position in positions:
            if position.version_id not in versions:
                continue
            position.version = versions[position.version_id]
            position.provision = points.get(position.provision_id) if position.provision_id else None
            position.source_list = position.sources_as_of
            kept.append(position)
        return kept

    def territories(self) -> list[Territory]:
        if self.is_live:
            observations = ControlObservation.objects.select_related("source").order_by("-observed_on", "-id")
            territories = list(
                Territory.objects.prefetch_related(Prefetch("control_observations", queryset=observations))
            )
            for territory in territories:
                territory.observations_list = list(territory.control_observations.all())
            return territories
        territories = past.territories_as_of(self.moment)
        for territory in territories:
            territory.observations_list = territory.observations_as_of
        return territories

    def events(self) -> list[Event]:
        """Events newest first."""
        if self.is_live:
            events = list(Event.objects.with_relations().order_by("-occurred_on", "-id"))
            for event in events:
                event.actor_list = list(event.actors.all())
                event.source_list = list(event.sources.all())
            return events
        events = past.events_as_of(self.moment)
        versions = {v.pk: v for v in self.versions()}
        for event in events:
            event.version = versions.get(event.version_id)
            event.actor_list = event.actors_as_of
            event.source_list = event.sources_as_of
        return events

    def claims(self, condition: Q) -> list[Claim]:
        """Contested claims matching `condition`, each with `.account_list` (each with `.source`, `.actor`)."""
        if self.is_live:
            accounts = Account.objects.select_related("source", "actor").order_by("reported_on", "id")
            claims = list(Claim.objects.filter(condition).prefetch_related(Prefetch("accounts", queryset=accounts)))
            for claim in claims:
                claim.account_list = list(claim.accounts.all())
            return claims
        claims = list(records.as_of(Claim, self.moment).filter(condition))
        accounts = list(records.as_of(Account, self.moment).filter(claim_id__in=[c.pk for c in claims]))
        sources = Source.objects.in_bulk({a.source_id for a in accounts})
        actors = self.actors()
        by_claim: dict[int, list[Account]] = defaultdict(list)
        for account in sorted(accounts, key=lambda a: (a.reported_on, a.pk)):
            account.source = sources[account.source_id]
            account.actor = actors.get(account.actor_id)
            by_claim[account.claim_id].append(account)
        for claim in sorted(claims, key=lambda c: c.question):
            claim.account_list = by_claim[claim.pk]
        return sorted(claims, key=lambda c: c.question)

    def accounts(self, actor_ids: Iterable[int] | None = None) -> list[Account]:
        """Accounts (of these actors, or all), newest first, each with `.claim`, `.source`, `.actor`."""
        if self.is_live:
            rows = Account.objects.select_related("claim", "source", "actor")
            if actor_ids is not None:
                rows = rows.filter(actor_id__in=list(actor_ids))
            return list(rows.order_by("-reported_on", "-id"))
        rows = records.as_of(Account, self.moment)
        if actor_ids is not None:
            rows = rows.filter(actor_id__in=list(actor_ids))
        accounts = list(rows)
        claims = {c.pk: c for c in records.as_of(Claim, self.moment).filter(id__in={a.claim_id for a in accounts})}
        sources = Source.objects.in_bulk({a.source_id for a in accounts})
        actors = self.actors()
        kept = []
        for account in accounts:
            if account.claim_id in claims:
                account.claim, account.source = claims[account.claim_id], sources[account.source_id]
                account.actor = actors.get(account.actor_id)
                kept.append(account)
        return sorted(kept, key=lambda a: (a.reported_on, a.pk), reverse=True)

    def changes(self, *, limit: int, actions: Iterable[str] | None = None) -> list[Change]:
        """The latest rows of the change log, newest first, one per record and moment.

        Saving a record and then setting its many-to-many fields writes two rows at the
        same instant: they are one change, shown as the first (a creation stays a creation).
        """
        rows = Change.objects.select_related("changed_by")
        if not self.is_live:
            rows = rows.filter(changed_at__lte=self.moment)
        if actions is not None:
            rows = rows.filter(action__in=list(actions))
        fetched = list(rows.order_by("-changed_at", "-id")[: limit * 3])
        updates = [c for c in fetched if c.action == ChangeAction.UPDATED]
        created = set(
            Change.objects.filter(
                action=ChangeAction.CREATED,
                object_id__in={c.object_id for c in updates},
                changed_at__in={c.changed_at for c in updates},
            ).values_list("record_type", "object_id", "changed_at")
        )
        seen: set[tuple[str, int, datetime]] = set()
        kept = []
        for change in fetched:
            key = (change.record_type, change.object_id, change.changed_at)
            if key in seen:
                continue
            seen.add(key)
            if change.action == ChangeAction.UPDATED and key in created:
                if actions is not None and ChangeAction.CREATED not in actions:
                    continue
                change.action = ChangeAction.CREATED
            kept.append(change)
        return kept[:limit]


def actor_groups(record: Record) -> list[tuple[str, list[Actor]]]:
    """Every actor on record, grouped for a picker: principal parties (the matrix
    columns, in their order), other parties, then people. Empty groups are left out."""
    actors = sorted(record.actors().values(), key=lambda a: (not a.is_principal, a.matrix_order, a.name))
    people = [a for a in actors if a.represents_id is not None or a.kind == ActorKind.PERSON]
    parties = [a for a in actors if a not in people]
    groups = [
        ("Principal parties", [a for a in parties if a.is_principal]),
        ("Other parties", [a for a in parties if not a.is_principal]),
        ("People", people),
    ]
    return [(label, members) for label, members in groups if members]


# --- Which version is in focus -----------------------------------------------------------


def version_in_focus(record: Record, requested: int | None = None) -> Version | None:
    """The requested version, or by default the latest one with points of a main plan
    (one that answers no other plan), so that a counter-proposal published later does
    not displace the plan under negotiation; failing that, the latest version with
    points, then the latest version. Counter-proposals stay selectable by `requested`."""
    if requested is not None:
        return record.version(requested)
    versions = record.versions()
    with_points = [v for v in versions if v.point_count]
    main = [v for v in with_points if v.plan.answers_id is None]
    return (main or with_points or versions or [None])[0]


def previous_version(record: Record, version: Version) -> Version | None:
    """The version this one revises, or else the one before it in the same plan."""
    versions = record.versions()
    if version.revises_id:
        for candidate in versions:
            if candidate.pk == version.revises_id:
                return candidate
    earlier = [v for v in versions if v.plan_id == version.plan_id and (v.dated, v.pk) < (version.dated, version.pk)]
    return earlier[0] if earlier else None


# --- Parties' stances: the one rule ------------------------------------------------------


@dataclass(frozen=True)
class PartyStance:
    """A party's stance on one subject (a point, or the version as a whole)."""

    party: Actor
    position: Position | None = None
    via: Actor | None = None  # the representative whose stance stands in for the party's

    @property
    def stance(self) -> str:
        return self.position.stance if self.position else NO_STANCE


def party_stances(positions: Iterable[Position], parties: Iterable[Actor]) -> dict[tuple[int | None, int], Position]:
    """The position that counts for each (subject, party): subject is a point id, or None
    for the version as a whole.

    The rule, kept here only: a party's own current stance wins; where the party has
    none, the most recent current stance of a person who represents it (`represents`)
    stands in for it: latest by date taken, then the later recorded.
    `positions` must already be current ones (one per actor and subject).
    """
    party_ids = {party.pk for party in parties}
    own: dict[tuple[int | None, int], Position] = {}
    proxy: dict[tuple[int | None, int], Position] = {}
    for position in positions:
        if position.actor_id in party_ids:
            own[(position.provision_id, position.actor_id)] = position
            continue
        party_id = position.actor.represents_id
        if party_id in party_ids:
            key = (position.provision_id, party_id)
            held = proxy.get(key)
            if held is None or (position.taken_on, position.pk) > (held.taken_on, held.pk):
                proxy[key] = position
    return {**proxy, **own}


def _cell(chosen: dict[tuple[int | None, int], Position], subject: int | None, party: Actor) -> PartyStance:
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
        return sum(1 for cell in self.whole if cell.position) + sum(
            1 for row in self.rows for cell in row.cells if cell.position
        )


def stance_matrix(
    record: Record, version: Version, points: list[Provision], parties: list[Actor] | None = None
) -> StanceMatrix:
    """Points as rows, parties (the principal ones by default) as columns."""
    parties = record.principal_parties() if parties is None else parties
    on_points = [position for point in points for position in point.stances]
    on_whole = record.positions(current=True, version_id=version.pk, provision__isnull=True)
    chosen = party_stances([*on_points, *on_whole], parties)
    return StanceMatrix(
        version=version,
        parties=parties,
        whole=[_cell(chosen, None, party) for party in parties],
        rows=[MatrixRow(point, [_cell(chosen, point.pk, party) for party in parties]) for point in points],
    )


# --- Counts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    value: str
    label: str
    count: int


def status_counts(points: Iterable[Provision]) -> list[Tally]:
    """Points per status, in the vocabulary's order, statuses with no point left out."""
    counts = Counter(point.status for point in points)
    return [Tally(value, label, counts[value]) for value, label in ProvisionStatus.choices if counts[value]]


def topic_counts(points: Iterable[Provision]) -> list[Tally]:
    """Points per topic (a point counts once for each of its topics), most frequent first."""
    counts = Counter(topic for point in points for topic in point.topics)
    tallies = [Tally(value, label, counts[value]) for value, label in Topic.choices if counts[value]]
    return sorted(tallies, key=lambda tally: -tally.count)


def stance_counts(cells: Iterable[PartyStance]) -> dict[str, int]:
    """How many cells hold each stance; "none" counts the cells without one."""
    counts = Counter(cell.stance for cell in cells)
    return {value: counts[value] for value in [*Stance.values, NO_STANCE]}


# --- Points list filters -----------------------------------------------------------------


@dataclass
class PointFilters:
    topic: str = ""
    status: str = ""
    territory: Territory | None = None
    party: Actor | None = None
    stance: str = ""  # a Stance value, or "none" for no recorded stance
    q: str = ""

    @property
    def active(self) -> bool:
        return any([self.topic, self.status, self.territory, self.party, self.stance, self.q])


def filter_points(matrix: StanceMatrix, filters: PointFilters, territories: list[Territory]) -> list[MatrixRow]:
    """The matrix rows whose point passes every filter.

    Evaluated on the assembled rows, so the live record and the record as of a date
    go through the same code. `party` and `stance` use the matrix rule (a party's
    stance, or its representative's); `stance` without `party` matches any column;
    `territory` matches the territory or any territory inside it; `q` needs every word
    in the number, title or text (case-insensitive).
    """
    territory_ids: set[int] = set()
    if filters.territory is not None:
        children = defaultdict(list)
        for territory in territories:
            children[territory.parent_id].append(territory.pk)
        queue = [filters.territory.pk]
        while queue:
            pk = queue.pop()
            if pk not in territory_ids:
                territory_ids.add(pk)
                queue.extend(children[pk])
    words = filters.q.casefold().split()
    party_index = next((i for i, p in enumerate(matrix.parties) if filters.party and p.pk == filters.party.pk), None)

    def keep(row: MatrixRow) -> bool:
        point = row.point
        if filters.topic and filters.topic not in point.topics:
            return False
        if filters.status and point.status != filters.status:
            return False
        if territory_ids and not any(d.territory_id in territory_ids for d in point.dispositions_list):
            return False
        if words:
            haystack = f"{point.number} {point.title} {point.text}".casefold()
            if not all(word in haystack for word in words):
                return False
        if filters.party is not None:
            cell = row.cells[party_index] if party_index is not None else None
            stance = cell.stance if cell else NO_STANCE
            return stance == filters.stance if filters.stance else stance != NO_STANCE
        if filters.stance:
            return any(cell.stance == filters.stance for cell in row.cells)
        return True

    return [row for row in matrix.rows if keep(row)]


# --- Convergence ------------------------------------------------------------------------


@dataclass
class ConvergenceStep:
    day: date
    supported: dict[int, int]  # party id -> points it supports
    by_all: int  # points every party supports
    total: int

    def share(self, party_id: int) -> float:
        return self.supported.get(party_id, 0) / self.total if self.total else 0.0

    @property
    def share_by_all(self) -> float:
        return self.by_all / self.total if self.total else 0.0


@dataclass
class ConvergenceSeries:
    version: Version
    parties: list[Actor]
    steps: list[ConvergenceStep]
    total: int


def convergence_series(
    record: Record, version: Version, points: list[Provision], parties: list[Actor] | None = None
) -> ConvergenceSeries:
    """For each date on which a stance on a point of `version` was taken: the share of
    the version's points each party supports, and the share all of them support.

    Stances are read by the matrix rule (`party_stances`) as they stood at the end of
    each date. Points are those of the version now (or as of the record's moment).
    """
    parties = record.principal_parties() if parties is None else parties
    point_ids = {point.pk for point in points}
    positions = [p for p in record.positions(version_id=version.pk, provision__isnull=False) if p.provision_id]
    positions = [p for p in positions if p.provision_id in point_ids]
    steps = []
    for day in sorted({p.taken_on for p in positions}):
        current = past.current_positions([p for p in positions if p.taken_on <= day])
        chosen = party_stances(current, parties)
        supported = {party.pk: sum(1 for pk in point_ids if _supports(chosen.get((pk, party.pk)))) for party in parties}
        by_all = sum(1 for pk in point_ids if parties and all(_supports(chosen.get((pk, p.pk))) for p in parties))
        steps.append(ConvergenceStep(day, supported, by_all, len(point_ids)))
    return ConvergenceSeries(version, parties, steps, len(point_ids))


def _supports(position: Position | None) -> bool:
    return position is not None and position.stance == Stance.SUPPORTS


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


def territory_rows(record: Record, points: list[Provision]) -> list[TerritoryRow]:
    """Every territory with what the given points propose for it and its latest
    control figures (one per source: sources disagree, none overrides another)."""
    territories = record.territories()
    proposed: dict[int, list[Any]] = defaultdict(list)
    for point in points:
        for disposition in point.dispositions_list:
            disposition.point = point
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


# --- Point page --------------------------------------------------------------------------


@dataclass
class StanceHistory:
    actor: Actor
    current: Position
    earlier: list[Position]


@dataclass
class Edit:
    """One recorded state of a point, against the state before it."""

    when: datetime
    user: Any
    action: str
    changed: list[str]
    diff: list[DiffSegment]
    row: Any


@dataclass
class LineageEntry:
    step: LineageStep
    diff: list[DiffSegment]


@dataclass
class PointDetail:
    point: Provision
    version: Version
    party_cells: list[PartyStance]
    stances: list[StanceHistory]
    claims: list[Claim]
    version_claims: list[Claim]
    edits: list[Edit]
    earlier: list[LineageEntry]
    later: list[LineageEntry]


EDIT_FIELDS = ("number", "title", "text", "status", "topics")


def point_detail(record: Record, pk: int) -> PointDetail:
    """Everything the point page shows, in a fixed number of queries."""
    point = record.point(pk)
    version = point.version
    parties = record.principal_parties()
    chosen = party_stances(point.stances, parties)

    grouped: dict[int, list[Position]] = defaultdict(list)
    for position in record.positions(provision_id=pk):
        grouped[position.actor_id].append(position)
    stances = [StanceHistory(rows[0].actor, rows[0], rows[1:]) for rows in grouped.values()]
    stances.sort(key=lambda s: (s.actor.represents_id is not None, s.actor.name))

    claims = record.claims(Q(provision_id=pk))
    on_version = version_claims(record, version)

    visible = {v.pk for v in record.versions()}
    back, forward = lineage_of(point)
    earlier = [
        LineageEntry(s, word_diff(s.provision.text, point.text)) for s in back if s.provision.version_id in visible
    ]
    later = [
        LineageEntry(s, word_diff(point.text, s.provision.text)) for s in forward if s.provision.version_id in visible
    ]

    return PointDetail(
        point=point,
        version=version,
        party_cells=[_cell(chosen, pk, party) for party in parties],
        stances=stances,
        claims=claims,
        version_claims=on_version,
        edits=point_edits(record, point),
        earlier=earlier,
        later=later,
    )


def point_edits(record: Record, point: Provision) -> list[Edit]:
    """The point's recorded states, newest first, each with the fields it changed."""
    rows = records.history_of(point)
    if not record.is_live:
        rows = rows.filter(history_date__lte=record.moment)
    rows = list(rows)
    edits = []
    for index, row in enumerate(rows):
        before = rows[index + 1] if index + 1 < len(rows) else None
        if before is None:
            changed, diff = [], []
        else:
            changed = [name for name in EDIT_FIELDS if getattr(row, name) != getattr(before, name)]
            diff = word_diff(before.text, row.text) if "text" in changed else []
        action = {"+": "created", "~": "updated", "-": "deleted"}[row.history_type]
        edits.append(Edit(row.history_date, row.history_user, action, changed, diff, row))
    return edits


def version_claims(record: Record, version: Version) -> list[Claim]:
    """Contested claims about a version as a whole (not about one of its points)."""
    return record.claims(Q(version_id=version.pk, provision__isnull=True))


# --- Compare -----------------------------------------------------------------------------


def comparison_points(record: Record, version: Version) -> list[Provision] | None:
    """The points to compare: None means "as stored now" (compare_versions reads them)."""
    return None if record.is_live else record.points(version)


# --- Parties -----------------------------------------------------------------------------


@dataclass
class PartySummary:
    actor: Actor
    counts: dict[str, int]
    whole: PartyStance
    representatives: list[Actor]


def party_summaries(record: Record, version: Version | None, points: list[Provision]) -> list[PartySummary]:
    """Every actor with how many points of `version` it supports, conditions, opposes…

    Parties (states, blocs, organizations) count by the matrix rule; a person counts
    their own stances only.
    """
    actors = sorted(record.actors().values(), key=lambda a: (not a.is_principal, a.matrix_order, a.name))
    on_points = [position for point in points for position in point.stances]
    on_whole = (
        record.positions(current=True, version_id=version.pk, provision__isnull=True) if version is not None else []
    )
    parties = [a for a in actors if a.represents_id is None]
    chosen = party_stances([*on_points, *on_whole], parties)
    own = {(p.provision_id, p.actor_id): p for p in [*on_points, *on_whole]}
    representatives: dict[int, list[Actor]] = defaultdict(list)
    for actor in actors:
        if actor.represents_id:
            representatives[actor.represents_id].append(actor)
    summaries = []
    for actor in actors:
        if actor.represents_id is None:
            cells = [_cell(chosen, point.pk, actor) for point in points]
            whole = _cell(chosen, None, actor)
        else:
            cells = [PartyStance(actor, own.get((point.pk, actor.pk))) for point in points]
            whole = PartyStance(actor, own.get((None, actor.pk)))
        summaries.append(PartySummary(actor, stance_counts(cells), whole, representatives[actor.pk]))
    return summaries


@dataclass
class ActorProfile:
    actor: Actor
    summary: PartySummary
    cells: list[tuple[Provision, PartyStance]]  # its stance on each point of the version in focus
    entries: list[TimelineEntry]  # its stances, statements and events over time

    @property
    def stated(self) -> list[tuple[Provision, PartyStance]]:
        """The points on which it has a stance (its own, or for a party its representative's)."""
        return [(point, cell) for point, cell in self.cells if cell.position]


def actor_profile(record: Record, actor: Actor, version: Version | None) -> ActorProfile:
    """One party (with the people who speak for it) or one person: stances and record over time."""
    points = record.points(version) if version is not None else []
    summary = next(s for s in party_summaries(record, version, points) if s.actor.pk == actor.pk)
    if actor.represents_id is None:
        chosen = party_stances([p for point in points for p in point.stances], [actor])
        cells = [(point, _cell(chosen, point.pk, actor)) for point in points]
    else:
        own = {(p.provision_id, p.actor_id): p for point in points for p in point.stances}
        cells = [(point, PartyStance(actor, own.get((point.pk, actor.pk)))) for point in points]
    return ActorProfile(actor, summary, cells, timeline(record, party=actor))


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
    approximate: bool = False
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


def _speaks_for(actor: Actor, party: Actor | None) -> bool:
    return party is None or actor.pk == party.pk or actor.represents_id == party.pk


def timeline(record: Record, *, party: Actor | None = None, limit: int = 200) -> list[TimelineEntry]:
    """Dated entries, newest first: events, stances taken, texts published, competing
    accounts, and corrections to the record (updates and deletions in the change log).

    With `party`, only what involves that party or a person who represents it.
    """
    actors = record.actors()
    entries: list[TimelineEntry] = []
    for event in record.events():
        if party is not None and not any(_speaks_for(a, party) for a in event.actor_list):
            continue
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
                approximate=event.date_precision != "day",
                order=event.pk,
            )
        )
    filters = {} if party is None else {"actor_id__in": [a.pk for a in actors.values() if _speaks_for(a, party)]}
    for position in record.positions(**filters):
        entries.append(_stance_entry(position))
    for version in record.versions():
        if party is not None and version.proposed_by_id != party.pk:
            continue
        entries.append(
            TimelineEntry(
                day=version.dated,
                kind="version",
                title=f"{version.plan.name}: {version.label}",
                url=version.get_absolute_url(),
                body=version.summary,
                actors=[actors[version.proposed_by_id]] if version.proposed_by_id in actors else [],
                order=version.pk,
            )
        )
    speakers = None if party is None else [a.pk for a in actors.values() if _speaks_for(a, party)]
    for account in record.accounts(speakers):
        entries.append(
            TimelineEntry(
                day=account.reported_on,
                kind="account",
                title=f"{account.claimant} on “{account.claim.question}”",
                url=_claim_url(account.claim),
                body=account.says,
                sources=[account.source],
                actors=[account.actor] if account.actor else [],
                order=account.pk,
            )
        )
    for change in describe_changes(record, record.changes(limit=limit, actions=[ChangeAction.UPDATED, "deleted"])):
        if party is not None and not (change.actor and _speaks_for(change.actor, party)):
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
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    has_older: bool

    @property
    def older(self) -> int | None:
        return self.number + 1 if self.has_older else None

    @property
    def newer(self) -> int | None:
        return self.number - 1 if self.number > 1 else None


def timeline_page(
    record: Record, *, party: Actor | None = None, number: int = 1, size: int = TIMELINE_PAGE
) -> TimelinePage:
    """Page `number` (from 1, newest first) of the timeline, saying whether older entries exist."""
    start = (number - 1) * size
    entries = timeline(record, party=party, limit=start + size + 1)
    return TimelinePage(entries[start : start + size], number, len(entries) > start + size)


def _claim_url(claim: Claim) -> str:
    if claim.provision_id:
        return reverse("provisions:provision_detail", args=[claim.provision_id]) + f"#claim-{claim.pk}"
    if claim.version_id:
        return reverse("provisions:overview") + f"?version={claim.version_id}#claim-{claim.pk}"
    return reverse("provisions:timeline")


def _stance_entry(position: Position) -> TimelineEntry:
    if position.provision_id:
        subject = f"point {position.provision.number} ({position.provision.title})"
        url = reverse("provisions:provision_detail", args=[position.provision_id])
    else:
        subject = f"“{position.version.label}” as a whole"
        url = reverse("actors:actor_detail", args=[position.actor_id])
    return TimelineEntry(
        day=position.taken_on,
        kind="stance",
        title=f"{position.actor.name}: {position.get_stance_display().lower()} {subject}",
        url=url,
        body=position.summary,
        sources=position.source_list,
        actors=[position.actor],
        stance=position.stance,
        order=position.pk,
    )


# --- The change log, described -------------------------------------------------------------


@dataclass
class DescribedChange:
    change: Change
    label: str
    url: str
    summary: str
    actor: Actor | None = None


_CHANGE_VERBS = {ChangeAction.CREATED: "added", ChangeAction.UPDATED: "changed", ChangeAction.DELETED: "deleted"}


def describe_changes(record: Record, changes: list[Change]) -> list[DescribedChange]:
    """A readable line and a link for each change-log row: one query per kind of record."""
    from django.apps import apps

    by_type: dict[str, list[int]] = defaultdict(list)
    for change in changes:
        by_type[change.record_type].append(change.history_id)
    rows: dict[tuple[str, int], Any] = {}
    for record_type, history_ids in by_type.items():
        model = apps.get_model(record_type)
        for row in model.history.filter(history_id__in=history_ids):
            rows[(record_type, row.history_id)] = row
    actors = record.actors()
    territories = (
        Territory.objects.in_bulk()
        if {"provisions.controlobservation", "provisions.territorialdisposition"} & set(by_type)
        else {}
    )
    # Names of the points stances are about, and the claims accounts answer (live names).
    point_ids = {r.provision_id for k, r in rows.items() if k[0] == "actors.position" and r.provision_id}
    points = Provision.objects.in_bulk(point_ids) if point_ids else {}
    claim_ids = {r.claim_id for k, r in rows.items() if k[0] == "actors.account"}
    claims = Claim.objects.in_bulk(claim_ids) if claim_ids else {}
    described = []
    for change in changes:
        row = rows.get((change.record_type, change.history_id))
        label, url, actor = _change_label(change, row, actors, territories, points, claims)
        verb = _CHANGE_VERBS.get(change.action, change.action)
        fields = [name for name in change.changed_fields if name not in {"id", "created_at", "updated_at"}]
        summary = verb if change.action != ChangeAction.UPDATED else f"changed: {', '.join(fields) or 'no field'}"
        described.append(DescribedChange(change, label, url, summary, actor))
    return described


def _change_label(
    change: Change,
    row: Any,
    actors: dict[int, Actor],
    territories: dict[int, Territory],
    points: dict[int, Provision],
    claims: dict[int, Claim],
) -> tuple[str, str, Actor | None]:
    kind = change.record_type
    if row is None:
        return f"{kind.split('.')[-1].capitalize()} #{change.object_id}", "", None
    if kind == "provisions.provision":
        return f"Point {row.number}: {row.title}", reverse("provisions:provision_detail", args=[row.id]), None
    if kind == "actors.position":
        actor = actors.get(row.actor_id)
        name = actor.name if actor else "An actor"
        point = points.get(row.provision_id)
        subject = f"point {point.number}" if point else "a point" if row.provision_id else "a version as a whole"
        url = (
            reverse("provisions:provision_detail", args=[row.provision_id])
            if row.provision_id
            else reverse("actors:actor_detail", args=[row.actor_id])
        )
        return f"{name} on {subject}: {Stance(row.stance).label.lower()}", url, actor
    if kind == "provisions.version":
        return f"Version “{row.label}”", reverse("provisions:provision_list") + f"?version={row.id}", None
    if kind == "actors.actor":
        return f"Party or person: {row.name}", reverse("actors:actor_detail", args=[row.id]), actors.get(row.id)
    if kind == "actors.event":
        return f"Event: {row.title}", reverse("provisions:timeline") + f"#event-{row.id}", None
    if kind in {"provisions.controlobservation", "provisions.territorialdisposition", "provisions.territory"}:
        territory_id = row.id if kind == "provisions.territory" else row.territory_id
        territory = territories.get(territory_id)
        name = territory.name if territory else f"territory #{territory_id}"
        # Only a disposition row has a `disposition`: build the label for the kind at hand.
        if kind == "provisions.territorialdisposition":
            what = f"Proposed disposition ({Disposition(row.disposition).label})"
        elif kind == "provisions.controlobservation":
            what = "Control figures"
        else:
            what = "Territory"
        return f"{what}: {name}", reverse("provisions:territory_list") + f"#territory-{territory_id}", None
    if kind == "provisions.source":
        return f"Source: {row.publisher}, {row.title}", reverse("provisions:source_detail", args=[row.id]), None
    if kind == "actors.claim":
        return (
            f"Contested claim: {row.question}",
            _claim_url(Claim(pk=row.id, provision_id=row.provision_id, version_id=row.version_id)),
            None,
        )
    if kind == "actors.account":
        claim = claims.get(row.claim_id)
        url = _claim_url(claim) if claim else ""
        return f"Account by {row.claimant}", url, actors.get(row.actor_id)
    if kind == "provisions.plan":
        return f"Plan: {row.name}", "", None
    if kind == "provisions.lineage":
        return "Lineage link", reverse("provisions:provision_detail", args=[row.provision_id]), None
    return f"{kind.split('.')[-1].capitalize()} #{change.object_id}", "", None


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
    positions = record.positions(sources=pk) if record.is_live else _cited(record.positions(), pk)
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
