"""The record, live or as of a moment: what every dashboard page reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.http import Http404

from actors.as_of import events_as_of, positions_as_of
from actors.models import Account, Actor, Claim, Event, Position
from actors.stances import current_of, recency
from history import records
from history.models import Change, ChangeAction
from provisions.as_of import provisions_as_of, territories_as_of
from provisions.models import ControlObservation, Plan, Provision, Source, TerritorialDisposition, Territory, Version

from .frame import actors_and_versions_as_of, live_actors_and_versions
from .inline import inline_ids, inline_rows, inline_sources, instances, sources_from


class Record:
    """The record as it stands now (`moment` is None) or as it stood at `moment`.

    Rows come back with the same attributes either way: the vocabulary of `provisions.points`
    (points' `.dispositions_list` and `.stances`, positions' `.source_list`…).
    """

    def __init__(self, moment: datetime | None = None) -> None:
        self.moment = moment
        self._actors: dict[int, Actor] | None = None
        self._versions: list[Version] | None = None
        # Read once per page, whichever sections of it ask (points and stances per version).
        self._points: dict[int, list[Provision]] = {}
        self._stances: dict[int, list[Position]] = {}
        self._territories: list[Territory] | None = None
        self._positions: dict[tuple[Any, ...], list[Position]] = {}

    @property
    def is_live(self) -> bool:
        return self.moment is None

    @property
    def day(self) -> date | None:
        return self.moment.date() if self.moment else None

    # Actors are read as they are now (names, who represents whom); as of a date,
    # those not yet on record are left out, and those deleted since are as they last stood.
    def actors(self) -> dict[int, Actor]:
        if self._actors is None:
            self._read_frame()
        return self._actors

    def _read_frame(self) -> None:
        # The actors and the versions together (the record's cut-off rides along on each version).
        if self.is_live:
            self._actors, self._versions = live_actors_and_versions()
        else:
            self._actors, self._versions = actors_and_versions_as_of(self.moment)

    def principal_parties(self) -> list[Actor]:
        """The matrix columns (`Actor.objects.principal()`'s rule and order), from the actors already read."""
        principal = (actor for actor in self.actors().values() if actor.is_principal)
        return sorted(principal, key=lambda actor: (actor.matrix_order, actor.name))

    def versions(self) -> list[Version]:
        """Versions latest first, each with `.point_count`."""
        if self._versions is None:
            self._read_frame()
        return self._versions

    def plans(self) -> list[Plan]:
        """Plans on record (now, or as of the moment), by name."""
        plans = Plan.objects.all() if self.is_live else records.as_of(Plan, self.moment)
        return sorted(plans, key=lambda plan: plan.name)

    def version(self, pk: int) -> Version:
        for version in self.versions():
            if version.pk == pk:
                return version
        raise Http404("No such version on record" + (f" on {self.day:%Y-%m-%d}." if self.day else "."))

    def cut_off(self) -> date | None:
        """How far the record goes: the date of its latest source (every fact cites one)."""
        if self.versions():
            return self.versions()[0].record_cut_off
        sources = Source.objects.all() if self.is_live else records.as_of(Source, self.moment)
        return sources.aggregate(latest=Max("published_on"))["latest"]

    def points(self, version: Version) -> list[Provision]:
        """The points of `version` in order, with their dispositions and current stances
        (live, not their own sources: `point()` reads those)."""
        if version.pk not in self._points:
            self._points[version.pk] = self._read_points(version)
        return self._points[version.pk]

    def _read_points(self, version: Version) -> list[Provision]:
        if self.is_live:
            points = self._live_points(Provision.objects.in_version(version))
            stances: dict[int, list[Position]] = defaultdict(list)
            for position in self.current_stances(version):
                if position.provision_id is not None:
                    stances[position.provision_id].append(position)
            for point in points:
                point.version = version
                point.stances = sorted(stances[point.pk], key=lambda p: p.actor.name)
            return points
        points = provisions_as_of(self.moment, version_id=version.pk)
        for point in points:
            point.version = version
        return points

    @staticmethod
    def _live_points(rows: Any, *, with_sources: bool = False) -> list[Provision]:
        """Points in order with `.dispositions_list` (and `.source_list` if asked): `with_relations`
        less what lists of points don't show (their lineage, their sources)."""
        dispositions = inline_rows(TerritorialDisposition.objects.all(), "provision", related=("territory",))
        rows = rows.in_order().annotate(dispositions_json=dispositions)
        if with_sources:
            rows = rows.annotate(source_rows=inline_sources(Provision.sources))
        points = list(rows)
        for point in points:
            point.dispositions_list = instances(
                TerritorialDisposition,
                point.dispositions_json,
                related=("territory",),
                key=lambda d: (d.territory.name, d.pk),
            )
            if with_sources:
                point.source_list = sources_from(point.source_rows)
        return points

    def bare_points(self, version: Version) -> list[Provision]:
        """The points of `version` in order, their own fields only (no dispositions, stances or
        sources): one read, for pages that count points rather than show them."""
        if version.pk in self._points:
            return self._points[version.pk]
        if self.is_live:
            return list(Provision.objects.in_version(version).in_order())
        rows = records.as_of(Provision, self.moment).filter(version_id=version.pk)
        return sorted(rows, key=lambda point: point.sort_key)

    def dispositions(self, version: Version) -> list[TerritorialDisposition]:
        """The territorial dispositions `version`'s points propose, each with `.territory` and
        `.point`, in point order. Live, one read (no stances or sources of the points)."""
        if self.is_live and version.pk not in self._points:
            rows = TerritorialDisposition.objects.filter(provision__version=version)
            rows = rows.select_related("territory", "provision").order_by("provision__sort_key", "territory__name")
            found = list(rows)
            for disposition in found:
                disposition.point = disposition.provision
            return found
        found = []
        for point in self.points(version):
            for disposition in point.dispositions_list:
                disposition.point = point
                found.append(disposition)
        return found

    def current_stances(self, version: Version) -> list[Position]:
        """Live: every current stance on `version`, on its points and on it as a whole, newest
        first, each with `.actor`, `.version` and `.source_list`; one read per page."""
        if version.pk not in self._stances:
            positions = list(
                Position.objects.filter(version=version)
                .select_related("actor", "actor__represents", "provision")
                .annotate(source_rows=inline_sources(Position.sources))
                .current()
                .order_by("-taken_on", "-id")
            )
            for position in positions:
                position.version = version
                position.source_list = sources_from(position.source_rows)
            self._stances[version.pk] = positions
        return self._stances[version.pk]

    def whole_version_stances(self, version: Version) -> list[Position]:
        """Current stances on `version` as a whole (not on one of its points), newest first."""
        if self.is_live:
            return [p for p in self.current_stances(version) if p.provision_id is None]
        return self.positions(current=True, version_id=version.pk, provision__isnull=True)

    def point(self, pk: int) -> Provision:
        """One point with its dispositions and current stances; 404 if not on record.
        Reads that point only (its version comes from `versions()`)."""
        if self.is_live:
            found = self._live_points(Provision.objects.filter(pk=pk), with_sources=True)
            for point in found:
                # The same rule as the version-wide read (`actors.stances`), over the point's positions.
                stances = current_of(self.positions(provision_id=pk))
                point.stances = sorted(stances, key=lambda p: p.actor.name)
        else:
            found = provisions_as_of(self.moment, provision_ids=[pk])
        if not found:
            raise Http404("No such point on record" + (f" on {self.day:%Y-%m-%d}." if self.day else "."))
        point = found[0]
        point.version = self.version(point.version_id)
        return point

    def positions(
        self, *, current: bool = False, limit: int | None = None, with_sources: bool = True, **filters: Any
    ) -> list[Position]:
        """Positions on record (newest first), each with `.actor`, `.provision`,
        `.version` and `.source_list`. `current=True` keeps each actor's latest per subject;
        `limit`: only the newest so many (live, the database reads no more than that).
        `with_sources=False`: `.source_list` may be left out (live, one read less).
        Read once per page for the same arguments."""
        frozen = {name: tuple(value) if isinstance(value, list | set) else value for name, value in filters.items()}
        key = (current, limit, with_sources, tuple(sorted(frozen.items())))
        if key not in self._positions:
            self._positions[key] = self._read_positions(
                current=current, limit=limit, with_sources=with_sources, **filters
            )
        return self._positions[key]

    def _read_positions(
        self, *, current: bool, limit: int | None, with_sources: bool, **filters: Any
    ) -> list[Position]:
        if self.is_live:
            rows = Position.objects.filter(**filters).with_relations().select_related("version__plan")
            rows = rows.prefetch_related(None)  # sources as `.source_list`, read in the same query
            if with_sources:
                rows = rows.annotate(source_rows=inline_sources(Position.sources))
            if current:
                rows = rows.current()
            rows = rows.order_by("-taken_on", "-id")
            positions = list(rows[:limit] if limit is not None else rows)
            if with_sources:
                for position in positions:
                    position.source_list = sources_from(position.source_rows)
            return positions
        # Current stances are chosen among all of them, so only a plain listing is cut in SQL.
        positions = positions_as_of(self.moment, limit=None if current else limit, **filters)
        if current:
            positions = sorted(current_of(positions), key=recency, reverse=True)
        versions = {v.pk: v for v in self.versions()}
        point_ids = {p.provision_id for p in positions if p.provision_id}
        points = {p.pk: p for p in records.as_of(Provision, self.moment).filter(id__in=point_ids)}
        kept = []
        for position in positions:
            if position.version_id not in versions:
                continue
            position.version = versions[position.version_id]
            position.provision = points.get(position.provision_id) if position.provision_id else None
            kept.append(position)
        return kept[:limit]

    def territories(self) -> list[Territory]:
        """Territories by name, each with `.observations_list` (newest first, each with `.source`)."""
        if self._territories is None:
            self._territories = self._read_territories()
        return self._territories

    def _read_territories(self) -> list[Territory]:
        if self.is_live:
            observations = ControlObservation.objects.select_related("source").order_by("-observed_on", "-id")
            territories = list(
                Territory.objects.order_by("name").prefetch_related(
                    Prefetch("control_observations", queryset=observations)
                )
            )
            for territory in territories:
                territory.observations_list = list(territory.control_observations.all())
            return territories
        return territories_as_of(self.moment)

    def territory_tree(self) -> list[Territory]:
        """Territories by name, without their control figures (a picker, the parts of a territory)."""
        if self._territories is not None:
            return self._territories
        rows = Territory.objects.all() if self.is_live else records.as_of(Territory, self.moment)
        return sorted(rows, key=lambda territory: territory.name)

    def events(
        self, *, actor_ids: Iterable[int] | None = None, limit: int | None = None, with_actors: bool = True
    ) -> list[Event]:
        """Events newest first (involving one of `actor_ids`, if given; only the newest
        `limit`, if given: live, the database reads no more than that).
        `with_actors=False`: `.actor_list` may be left out (live, one read less)."""
        if self.is_live:
            # Sources and actors' ids in the same query; actors come from `actors()`.
            rows = Event.objects.with_relations().prefetch_related(None)
            rows = rows.annotate(source_rows=inline_sources(Event.sources))
            if with_actors:
                rows = rows.annotate(actor_ids=inline_ids(Event.actors))
            rows = rows.order_by("-occurred_on", "-id")
            if actor_ids is not None:
                rows = rows.filter(
                    id__in=Event.actors.through.objects.filter(actor_id__in=list(actor_ids)).values("event_id")
                )
            events = list(rows[:limit] if limit is not None else rows)
            actors = self.actors() if with_actors else {}
            for event in events:
                event.source_list = sources_from(event.source_rows)
                if with_actors:
                    found = (actors[pk] for pk in event.actor_ids or [] if pk in actors)
                    event.actor_list = sorted(found, key=lambda actor: actor.name)
            return events
        events = events_as_of(self.moment, actor_ids=actor_ids, limit=limit)
        versions = {v.pk: v for v in self.versions()}
        for event in events[:limit]:
            event.version = versions.get(event.version_id)
        return events[:limit]

    def claims(self, condition: Q) -> list[Claim]:
        """Contested claims matching `condition`, each with `.account_list` (each with `.source`, `.actor`)."""
        if self.is_live:
            # Accounts (with their sources) in the same query; actors come from `actors()`.
            accounts = inline_rows(Account.objects.all(), "claim", related=("source",))
            claims = list(Claim.objects.filter(condition).annotate(accounts_json=accounts))
            actors = self.actors()
            for claim in claims:
                claim.account_list = instances(
                    Account, claim.accounts_json, related=("source",), key=lambda a: (a.reported_on, a.pk)
                )
                for account in claim.account_list:
                    account.actor = actors.get(account.actor_id)
            return claims
        claims = list(records.as_of(Claim, self.moment).filter(condition))
        accounts = list(records.as_of(Account, self.moment).filter(claim_id__in=[c.pk for c in claims]))
        sources = records.live_or_last_known(Source, {a.source_id for a in accounts})
        actors = self.actors()
        by_claim: dict[int, list[Account]] = defaultdict(list)
        for account in sorted(accounts, key=lambda a: (a.reported_on, a.pk)):
            account.source = sources[account.source_id]
            account.actor = actors.get(account.actor_id)
            by_claim[account.claim_id].append(account)
        for claim in sorted(claims, key=lambda c: c.question):
            claim.account_list = by_claim[claim.pk]
        return sorted(claims, key=lambda c: c.question)

    def accounts(self, actor_ids: Iterable[int] | None = None, *, limit: int | None = None) -> list[Account]:
        """Accounts (of these actors, or all), newest first, each with `.claim`, `.source`, `.actor`;
        only the newest `limit`, if given."""
        if self.is_live:
            rows = Account.objects.select_related("claim", "source", "actor")
            if actor_ids is not None:
                rows = rows.filter(actor_id__in=list(actor_ids))
            rows = rows.order_by("-reported_on", "-id")
            return list(rows[:limit] if limit is not None else rows)
        rows = records.as_of(Account, self.moment)
        if actor_ids is not None:
            rows = rows.filter(actor_id__in=list(actor_ids))
        accounts = list(rows)
        claims = {c.pk: c for c in records.as_of(Claim, self.moment).filter(id__in={a.claim_id for a in accounts})}
        sources = records.live_or_last_known(Source, {a.source_id for a in accounts})
        actors = self.actors()
        kept = []
        for account in accounts:
            if account.claim_id in claims:
                account.claim, account.source = claims[account.claim_id], sources[account.source_id]
                account.actor = actors.get(account.actor_id)
                kept.append(account)
        return sorted(kept, key=lambda a: (a.reported_on, a.pk), reverse=True)[:limit]

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
        # Whether the record was created at the same instant, asked in the same query.
        creation = Change.objects.filter(
            action=ChangeAction.CREATED,
            record_type=OuterRef("record_type"),
            object_id=OuterRef("object_id"),
            changed_at=OuterRef("changed_at"),
        )
        rows = rows.annotate(created_then=Exists(creation))
        fetched = list(rows.order_by("-changed_at", "-id")[: limit * 3])
        seen: set[tuple[str, int, datetime]] = set()
        kept = []
        for change in fetched:
            key = (change.record_type, change.object_id, change.changed_at)
            if key in seen:
                continue
            seen.add(key)
            if change.action == ChangeAction.UPDATED and change.created_then:
                if actions is not None and ChangeAction.CREATED not in actions:
                    continue
                change.action = ChangeAction.CREATED
            kept.append(change)
        return kept[:limit]
