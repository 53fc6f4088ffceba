"""The record, live or as of a moment: what every dashboard page reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, Prefetch, Q
from django.http import Http404

from actors.as_of import events_as_of, positions_as_of
from actors.models import Account, Actor, Claim, Event, Position
from actors.stances import current_of, recency
from history import records
from history.models import Change, ChangeAction
from provisions.as_of import provisions_as_of, territories_as_of, versions_as_of
from provisions.models import ControlObservation, Plan, Provision, Source, Territory, Version


class Record:
    """The record as it stands now (`moment` is None) or as it stood at `moment`.

    Rows come back with the same attributes either way: the vocabulary of `provisions.points`
    (points' `.dispositions_list` and `.stances`, positions' `.source_list`…).
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
    # those not yet on record are left out, and those deleted since are as they last stood.
    def actors(self) -> dict[int, Actor]:
        if self._actors is None:
            live = Actor.objects.select_related("represents")
            if self.is_live:
                actors = live.in_bulk()
            else:
                existing = records.as_of(Actor, self.moment).values_list("id", flat=True)
                actors = records.live_or_last_known(Actor, existing, live)
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
                versions = versions_as_of(self.moment)
                counts = Counter(records.as_of(Provision, self.moment).values_list("version_id", flat=True))
                plans = records.live_or_last_known(Plan, {v.plan_id for v in versions})
                actors = self.actors()
                by_id = {v.pk: v for v in versions}
                for version in versions:
                    version.plan = plans[version.plan_id]
                    version.proposed_by = actors.get(version.proposed_by_id)
                    version.revises = by_id.get(version.revises_id)
                    version.point_count = counts.get(version.pk, 0)
                self._versions = versions
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
        sources = Source.objects.all() if self.is_live else records.as_of(Source, self.moment)
        return sources.aggregate(latest=Max("published_on"))["latest"]

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
                # `source_list`: prefetched by `with_relations`.
                point.stances = sorted(stances[point.pk], key=lambda p: p.actor.name)
            return points
        points = provisions_as_of(self.moment, version_id=version.pk)
        for point in points:
            point.version = version
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

    def positions(self, *, current: bool = False, limit: int | None = None, **filters: Any) -> list[Position]:
        """Positions on record (newest first), each with `.actor`, `.provision`,
        `.version` and `.source_list`. `current=True` keeps each actor's latest per subject;
        `limit`: only the newest so many (live, the database reads no more than that)."""
        if self.is_live:
            rows = Position.objects.filter(**filters).with_relations().select_related("version__plan")
            if current:
                rows = rows.current()
            rows = rows.order_by("-taken_on", "-id")
            positions = list(rows[:limit] if limit is not None else rows)
            for position in positions:
                position.source_list = list(position.sources.all())
            return positions
        positions = positions_as_of(self.moment, **filters)
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
        if self.is_live:
            observations = ControlObservation.objects.select_related("source").order_by("-observed_on", "-id")
            territories = list(
                Territory.objects.prefetch_related(Prefetch("control_observations", queryset=observations))
            )
            for territory in territories:
                territory.observations_list = list(territory.control_observations.all())
            return territories
        return territories_as_of(self.moment)

    def events(self, *, actor_ids: Iterable[int] | None = None, limit: int | None = None) -> list[Event]:
        """Events newest first (involving one of `actor_ids`, if given; only the newest
        `limit`, if given: live, the database reads no more than that)."""
        if self.is_live:
            rows = Event.objects.with_relations().order_by("-occurred_on", "-id")
            if actor_ids is not None:
                rows = rows.filter(
                    id__in=Event.actors.through.objects.filter(actor_id__in=list(actor_ids)).values("event_id")
                )
            events = list(rows[:limit] if limit is not None else rows)
            for event in events:
                event.actor_list = list(event.actors.all())
                event.source_list = list(event.sources.all())
            return events
        events = events_as_of(self.moment)
        if actor_ids is not None:
            wanted = set(actor_ids)
            events = [e for e in events if any(a.pk in wanted for a in e.actor_list)]
        versions = {v.pk: v for v in self.versions()}
        for event in events[:limit]:
            event.version = versions.get(event.version_id)
        return events[:limit]

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
