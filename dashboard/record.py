"""The record, live or as of a moment: what every dashboard page reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.http import Http404

from actors.as_of import event_read, events_from, position_read, positions_from
from actors.models import Account, Actor, Claim, Event, Position
from actors.stances import current_of, recency
from history import records
from history.models import Change, ChangeAction
from provisions.as_of import point_reads, points_from, territories_as_of
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
        # As of a date, what `read_ahead` read for the readers a page is about to call.
        self._ahead: dict[tuple[Any, ...], Any] = {}

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

    def read_ahead(
        self,
        *,
        points_of: Iterable[Version] = (),
        point: int | None = None,
        positions: Iterable[dict[str, Any]] = (),
        events: Iterable[dict[str, Any]] = (),
        accounts: Iterable[dict[str, Any]] = (),
        claims: Iterable[Q] = (),
    ) -> None:
        """As of a date, read in one `read_as_of` call (two queries) what a page is about to ask
        several readers for: `points(version)` for `points_of`, `point(point)`, and `positions(**kw)`,
        `events(**kw)`, `accounts(**kw)`, `claims(condition)` for each of these arguments. The
        calls that follow with the same arguments are answered from what was read; any other
        call reads as usual. Each read stays bounded as when called alone (filters and limits in
        SQL). Live, nothing is read ahead: each live reader is one query already."""
        if self.is_live:
            return
        reads: dict[str, records.AsOfRead] = {}
        pending: list[tuple[tuple[Any, ...], Callable[[records.Snapshot], Any]]] = []

        def plan(key: tuple[Any, ...], request: tuple[dict[str, records.AsOfRead], Callable[..., Any]]) -> None:
            if key in self._ahead:
                return  # read ahead already (a section that reads ahead within a page that did)
            reads.update(request[0])
            pending.append((key, request[1]))

        for n, version in enumerate(points_of):
            if version.pk not in self._points:
                plan(("points", version.pk), self._points_as_of(f"points{n}", Q(version_id=version.pk)))
        if point is not None:
            plan(("point", point), self._points_as_of("point", Q(id=point)))
            plan(("point claims", point), self._claims_as_of("point claims", self._point_claims(point)))
        for n, kwargs in enumerate(positions):
            filters = {k: v for k, v in kwargs.items() if k not in ("current", "limit", "with_sources")}
            current, limit = kwargs.get("current", False), kwargs.get("limit")
            plan(
                self._ahead_key("positions", current=current, limit=limit, **filters),
                self._positions_as_of(f"positions{n}", current=current, limit=limit, filters=filters),
            )
        for n, kwargs in enumerate(events):
            kwargs = {"actor_ids": None, "limit": None} | {k: v for k, v in kwargs.items() if k != "with_actors"}
            plan(self._ahead_key("events", **kwargs), self._events_as_of(f"events{n}", **kwargs))
        for n, kwargs in enumerate(accounts):
            kwargs = {"actor_ids": None, "limit": None} | kwargs
            plan(self._ahead_key("accounts", **kwargs), self._accounts_as_of(f"accounts{n}", **kwargs))
        for n, condition in enumerate(claims):
            plan(("claims", condition), self._claims_as_of(f"claims{n}", condition))
        if not reads:
            return
        snapshot = records.read_as_of(self.moment, reads)
        for key, finish in pending:
            found = finish(snapshot)
            if key[0] == "points":
                version = self.version(key[1])
                for row in found:
                    row.version = version
                self._points[key[1]] = found
            else:
                self._ahead[key] = found

    @staticmethod
    def _ahead_key(reader: str, **arguments: Any) -> tuple[Any, ...]:
        frozen = {name: tuple(value) if isinstance(value, list | set) else value for name, value in arguments.items()}
        return (reader, tuple(sorted(frozen.items())))

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
        reads, finish = self._points_as_of("points", Q(version_id=version.pk))
        points = finish(records.read_as_of(self.moment, reads))
        for point in points:
            point.version = version
        return points

    def _points_as_of(
        self, key: str, where: Q
    ) -> tuple[dict[str, records.AsOfRead], Callable[[records.Snapshot], list[Provision]]]:
        """What `points()` and `point()` read as of the moment (points matching `where`, their
        dispositions and stances), under `key`, and how they build their answer."""
        reads = {f"{key}:{name}": read for name, read in point_reads(self.moment, where).items()}

        def finish(snapshot: records.Snapshot) -> list[Provision]:
            rows = snapshot.rows
            positions = positions_from(snapshot, f"{key}:positions")
            return points_from(snapshot, rows[f"{key}:points"], rows[f"{key}:dispositions"], positions)

        return reads, finish

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
        elif ("point", pk) in self._ahead:
            found = self._ahead[("point", pk)]
        else:
            reads, finish = self._points_as_of("point", Q(id=pk))
            found = finish(records.read_as_of(self.moment, reads))
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
        if not self.is_live:
            ahead = self._ahead_key("positions", current=current, limit=limit, **filters)
            if ahead in self._ahead:
                return self._ahead[ahead]
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
        reads, finish = self._positions_as_of("positions", current=current, limit=limit, filters=filters)
        return finish(records.read_as_of(self.moment, reads))

    def _positions_as_of(
        self, key: str, *, current: bool, limit: int | None, filters: dict[str, Any]
    ) -> tuple[dict[str, records.AsOfRead], Callable[[records.Snapshot], list[Position]]]:
        """What `positions()` reads as of the moment (the positions with the points they are on),
        under `key`, and how it builds its answer from the snapshot."""
        # Only positions on versions then on record; current stances are chosen among all of
        # them, so only a plain listing is cut in SQL.
        where = Q(**filters) & Q(version_id__in=records.ids_as_of(Version, self.moment))
        cut = None if current else limit
        # The point of each position as it stood then, read along with it.
        reads = {key: replace(position_read(where, limit=cut), along=("provision",))}

        def finish(snapshot: records.Snapshot) -> list[Position]:
            positions = positions_from(snapshot, key)
            if current:
                positions = sorted(current_of(positions), key=recency, reverse=True)
            versions = {v.pk: v for v in self.versions()}
            kept = []
            for position in positions:
                if position.version_id not in versions:
                    continue
                position.version = versions[position.version_id]
                kept.append(position)
            return kept[:limit]

        return reads, finish

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
        ahead = self._ahead_key("events", actor_ids=actor_ids, limit=limit)
        if ahead in self._ahead:
            return self._ahead[ahead]
        reads, finish = self._events_as_of("events", actor_ids=actor_ids, limit=limit)
        return finish(records.read_as_of(self.moment, reads))

    def _events_as_of(
        self, key: str, *, actor_ids: Iterable[int] | None, limit: int | None
    ) -> tuple[dict[str, records.AsOfRead], Callable[[records.Snapshot], list[Event]]]:
        """What `events()` reads as of the moment, under `key`, and how it builds its answer."""
        where = Q()
        if actor_ids is not None:
            involving = records.m2m_history_model(Event, "actors").objects.filter(actor_id__in=list(actor_ids))
            where = Q(history_id__in=involving.values("history_id"))

        def finish(snapshot: records.Snapshot) -> list[Event]:
            events = events_from(snapshot, key)
            versions = {v.pk: v for v in self.versions()}
            for event in events:
                event.version = versions.get(event.version_id)
            return events

        return {key: event_read(where, limit=limit)}, finish

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
        if ("claims", condition) in self._ahead:
            return self._ahead[("claims", condition)]
        reads, finish = self._claims_as_of("claims", condition)
        return finish(records.read_as_of(self.moment, reads))

    def _claims_as_of(
        self, key: str, condition: Q
    ) -> tuple[dict[str, records.AsOfRead], Callable[[records.Snapshot], list[Claim]]]:
        """What `claims()` reads as of the moment (the claims, and their accounts with their
        sources), under `key`, and how it builds its answer."""
        reads = {
            key: records.AsOfRead(Claim, condition),
            f"{key}:accounts": records.AsOfRead(
                Account, Q(claim_id__in=records.ids_as_of(Claim, self.moment, condition)), named=("source",)
            ),
        }

        def finish(snapshot: records.Snapshot) -> list[Claim]:
            actors = self.actors()
            by_claim: dict[int, list[Account]] = defaultdict(list)
            for account in sorted(snapshot.rows[f"{key}:accounts"], key=lambda a: (a.reported_on, a.pk)):
                account.actor = actors.get(account.actor_id)
                by_claim[account.claim_id].append(account)
            claims = sorted(snapshot.rows[key], key=lambda c: c.question)
            for claim in claims:
                claim.account_list = by_claim[claim.pk]
            return claims

        return reads, finish

    def claims_on_point(self, pk: int) -> list[Claim]:
        """Contested claims about point `pk` and about its version as a whole, in one read."""
        if ("point claims", pk) in self._ahead:
            return self._ahead[("point claims", pk)]
        return self.claims(self._point_claims(pk))

    def _point_claims(self, pk: int) -> Q:
        # The point's version as a subquery, so the point and its claims can be read together.
        points = Provision.objects.all() if self.is_live else records.latest_rows(Provision, self.moment)
        return Q(provision_id=pk) | Q(provision__isnull=True, version_id__in=points.filter(id=pk).values("version_id"))

    def accounts(self, actor_ids: Iterable[int] | None = None, *, limit: int | None = None) -> list[Account]:
        """Accounts (of these actors, or all), newest first, each with `.claim`, `.source`, `.actor`;
        only the newest `limit`, if given."""
        if self.is_live:
            rows = Account.objects.select_related("claim", "source", "actor")
            if actor_ids is not None:
                rows = rows.filter(actor_id__in=list(actor_ids))
            rows = rows.order_by("-reported_on", "-id")
            return list(rows[:limit] if limit is not None else rows)
        ahead = self._ahead_key("accounts", actor_ids=actor_ids, limit=limit)
        if ahead in self._ahead:
            return self._ahead[ahead]
        reads, finish = self._accounts_as_of("accounts", actor_ids=actor_ids, limit=limit)
        return finish(records.read_as_of(self.moment, reads))

    def _accounts_as_of(
        self, key: str, *, actor_ids: Iterable[int] | None, limit: int | None
    ) -> tuple[dict[str, records.AsOfRead], Callable[[records.Snapshot], list[Account]]]:
        """What `accounts()` reads as of the moment (the newest `limit` accounts whose claim was
        then on record, with those claims), under `key`, and how it builds its answer."""
        where = Q(claim_id__in=records.ids_as_of(Claim, self.moment))
        if actor_ids is not None:
            where &= Q(actor_id__in=list(actor_ids))
        newest = ("reported_on", "id")
        # The claim of each account as it stood then, read along with it.
        reads = {key: records.AsOfRead(Account, where, named=("source",), along=("claim",), newest=newest, limit=limit)}

        def finish(snapshot: records.Snapshot) -> list[Account]:
            actors = self.actors()
            accounts = sorted(snapshot.rows[key], key=lambda a: (a.reported_on, a.pk), reverse=True)
            for account in accounts:
                account.actor = actors.get(account.actor_id)
            return accounts

        return reads, finish

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
