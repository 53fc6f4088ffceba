"""Which points match a filter: one predicate, read in SQL and over loaded rows.

`PointFilter` is the only place the rule is written. The API list applies it to a
QuerySet (`apply`); the dashboard's points list and the API's `as_of` path apply it to
points already loaded (`matches`). Tests generate random records and filters and check
that both forms return the same points.

The rows loaded with a point go by one vocabulary, live or read from history:

- a point: `.dispositions_list` (each with `.territory`), `.stances` (current stances,
  each with `.actor` and `.source_list`), `.derives_from_list` / `.derived_into_list`
  (lineage links), `.plan_pk` (its version's plan);
- a position: `.source_list`; a territory: `.observations_list` (each with `.source`);
  an event: `.actor_list`, `.source_list`; a claim: `.account_list`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import and_, or_
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from actors.models import Actor, Position
from actors.stances import NO_STANCE, counted_stances
from api.search_syntax import Term, TextQuery, fts5_phrase, parse

from .models import Plan, Provision, TerritorialDisposition, Territory, Version
from .numbering import point_sort_key

TEXT_FIELDS = ("number", "title", "text")


def territory_and_parts(territory: Territory, tree: Iterable[Territory] | None = None) -> set[int]:
    """Ids of `territory` and of every territory inside it (Donbas: Donetsk and Luhansk too)."""
    rows = tree if tree is not None else Territory.objects.only("id", "parent_id")
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row.pk)
    found: set[int] = set()
    queue = [territory.pk]
    while queue:
        pk = queue.pop()
        if pk not in found:
            found.add(pk)
            queue.extend(children[pk])
    return found


@dataclass(frozen=True)
class PointFilter:
    """The points that pass every given criterion (an empty one passes everything).

    - `version`, `plan`, `number` (as printed: 10a and 10.a are the same), `topic`, `status`;
    - `territory`: a disposition of that territory or of any territory inside it;
    - `disposition`: a disposition of that kind (any territory);
    - `party` and `stance`: the stance that counts for the party by the speaks-for rule
      (`actors.stances.counted_stances`): `party` alone, any stance; `stance` alone, the
      stance of any of the `columns` (the principal parties unless given); `stance`
      `none`: no stance counts;
    - `text`: a search of the number, title and text in web-search syntax (every word,
      "a phrase", `or`, `-excluded`; `api.search_syntax`), stemmed, on SQLite as on PostgreSQL;
    - `attributed`: count stances others attribute to a party too (by default only the
      party's own statements count).
    """

    version: Version | None = None
    plan: Plan | None = None
    number: str = ""
    topic: str = ""
    status: str = ""
    territory: Territory | None = None
    disposition: str = ""
    party: Actor | None = None
    stance: str = ""
    text: str = ""
    attributed: bool = False
    columns: tuple[Actor, ...] | None = field(default=None, compare=False)
    territory_tree: tuple[Territory, ...] | None = field(default=None, compare=False)

    @property
    def active(self) -> bool:
        criteria = [self.plan, self.number, self.topic, self.status, self.territory, self.disposition]
        return any([*criteria, self.party, self.stance, self.text])

    @property
    def needs_loaded_rows(self) -> bool:
        """Whether a criterion reads more than the point's own columns (`stored_lookups`)."""
        return any([self.topic, self.territory, self.disposition, self.party, self.stance, self.text])

    @cached_property
    def territory_ids(self) -> set[int]:
        return territory_and_parts(self.territory, self.territory_tree) if self.territory is not None else set()

    @cached_property
    def stance_parties(self) -> list[Actor]:
        if self.party is not None:
            return [self.party]
        return list(self.columns) if self.columns is not None else list(Actor.objects.principal())

    @cached_property
    def text_query(self) -> TextQuery:
        """`text` in the search syntax (`api.search_syntax`): words, "phrases", `or`, `-word`."""
        return parse(self.text)

    # --- Over loaded rows (the dashboard, the API as of a date) ----------------------------

    def matches(self, point: Any) -> bool:
        """Whether a loaded point passes (it carries `.dispositions_list` and `.stances`)."""
        if self.version is not None and point.version_id != self.version.pk:
            return False
        if self.plan is not None and point.version.plan_id != self.plan.pk:
            return False
        if self.number and point.sort_key != point_sort_key(self.number):
            return False
        if self.topic and self.topic not in (point.topics or []):
            return False
        if self.status and point.status != self.status:
            return False
        if self.territory is not None and not any(
            d.territory_id in self.territory_ids for d in point.dispositions_list
        ):
            return False
        if self.disposition and all(d.disposition != self.disposition for d in point.dispositions_list):
            return False
        if self.text and not self.text_query.matches(str(getattr(point, name) or "") for name in TEXT_FIELDS):
            return False
        if self.party is not None or self.stance:
            counted = counted_stances(point.stances, self.stance_parties, stated_only=not self.attributed)
            held = [counted.get((point.pk, party.pk)) for party in self.stance_parties]
            return self._stance_passes(held)
        return True

    def _stance_passes(self, held: list[Any]) -> bool:
        """`held`: the counting position (or None) of each of `stance_parties` on one point."""
        if self.stance == NO_STANCE:
            return any(position is None for position in held)
        if self.stance:
            return any(position is not None and position.stance == self.stance for position in held)
        return any(position is not None for position in held)

    # --- In SQL (the API list) ----------------------------------------------------------

    def stored_lookups(self) -> dict[str, Any]:
        """The criteria on the point's own columns as ORM lookups: `apply` uses them, and a
        reader of history uses them to read fewer rows before `matches`."""
        lookups: dict[str, Any] = {}
        if self.version is not None:
            lookups["version_id"] = self.version.pk
        if self.plan is not None:
            lookups["version__plan_id"] = self.plan.pk
        if self.number:
            lookups["sort_key"] = point_sort_key(self.number)
        if self.status:
            lookups["status"] = self.status
        return lookups

    def apply(self, queryset: QuerySet) -> QuerySet:
        """`queryset` of points narrowed to those that pass."""
        queryset = queryset.filter(**self.stored_lookups())
        if self.topic:
            queryset = queryset.filter(pk__in=Provision.objects.with_topic(self.topic).values("pk"))
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.territory is not None:
            disposed = TerritorialDisposition.objects.filter(territory_id__in=self.territory_ids)
            queryset = queryset.filter(pk__in=disposed.values("provision_id"))
        if self.disposition:
            disposed = TerritorialDisposition.objects.filter(disposition=self.disposition)
            queryset = queryset.filter(pk__in=disposed.values("provision_id"))
        if self.text:
            queryset = queryset.filter(self._text_condition())
        if self.party is not None or self.stance:
            if self.stance == NO_STANCE:
                queryset = queryset.exclude(pk__in=self._ids_where_every_party_has_a_stance())
            else:
                queryset = queryset.filter(pk__in=self._ids_passing_stance())
        return queryset

    def _counted(self) -> tuple[dict[tuple[int | None, int], Any], set[int]]:
        """The counting stances of `stance_parties` (same rule as `matches`) and the points
        they are on, from one read of the current stances of those parties and of the
        people who speak for them."""
        party_ids = [party.pk for party in self.stance_parties]
        current = Position.objects.filter(
            Q(actor_id__in=party_ids) | Q(actor__represents_id__in=party_ids), provision__isnull=False
        ).current()
        # Plain rows, not model instances: a party holds a stance on thousands of points, and
        # building a Position and an Actor per row was most of the filter's time (bench/).
        columns = ("id", "actor_id", "version_id", "provision_id", "stance", "attribution", "taken_on")
        positions = [
            _StanceRow(*row[:-1], actor=_ActorRow(row[1], row[-1]))
            for row in current.values_list(*columns, "actor__represents_id")
        ]
        counted = counted_stances(positions, self.stance_parties, stated_only=not self.attributed)
        return counted, {p.provision_id for p in positions}

    def _ids_passing_stance(self) -> list[int]:
        counted, points = self._counted()
        parties = self.stance_parties
        return [pk for pk in points if self._stance_passes([counted.get((pk, party.pk)) for party in parties])]

    def _ids_where_every_party_has_a_stance(self) -> list[int] | QuerySet:
        if not self.stance_parties:
            return Provision.objects.values("pk")  # no party: no point lacks a party's stance
        counted, points = self._counted()
        return [pk for pk in points if all((pk, party.pk) in counted for party in self.stance_parties)]

    def _text_condition(self) -> Q:
        """`text` in SQL. PostgreSQL reads the syntax itself (`websearch_to_tsquery`, English
        stemming); SQLite matches each term in the FTS5 index of the points (migration
        `0007_point_text_search_sqlite`, Porter stemming), combined as the parsed query says."""
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector

            query = SearchQuery(self.text, search_type="websearch", config="english")
            found = Provision.objects.annotate(point_text=SearchVector(*TEXT_FIELDS, config="english"))
            return Q(pk__in=found.filter(point_text=query).values("pk"))
        alternatives = [reduce(and_, (_fts_term(term) for term in terms)) for terms in self.text_query.alternatives]
        return reduce(or_, alternatives) if alternatives else Q(pk__in=[])


FTS_TABLE = "provisions_provision_fts"


def _fts_term(term: Term) -> Q:
    """Points whose number, title or text holds the term (SQLite's FTS5 index), or not."""
    holding = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts5_phrase(term)])
    return ~Q(pk__in=holding) if term.excluded else Q(pk__in=holding)


class _ActorRow(NamedTuple):
    pk: int
    represents_id: int | None


class _StanceRow(NamedTuple):
    """The columns of a current stance the counting rule reads (`counted_stances`)."""

    pk: int
    actor_id: int
    version_id: int
    provision_id: int | None
    stance: str
    attribution: str
    taken_on: Any
    actor: _ActorRow
