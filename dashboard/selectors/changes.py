"""The change log, described: a readable line and a link per change."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from django.db.models import F, Model, Value
from django.db.models.functions import JSONObject
from django.urls import reverse

from actors.choices import Stance
from actors.models import Actor, Claim
from history import records
from history.dating import describe
from history.models import Change, ChangeAction
from provisions.choices import Disposition, LineageRelation
from provisions.models import Provision, Territory

from ..record import Record


def claim_url(claim: Claim) -> str:
    if claim.provision_id:
        return reverse("provisions:provision_detail", args=[claim.provision_id]) + f"#claim-{claim.pk}"
    if claim.version_id:
        return reverse("provisions:overview") + f"?version={claim.version_id}#claim-{claim.pk}"
    return reverse("provisions:timeline")


# --- The change log, described -------------------------------------------------------------

SHORT_TITLE = 60  # characters of a point's title shown with a change
SHORT_VALUE = 80  # characters of a text field's old and new values


@dataclass(frozen=True)
class FieldChange:
    """One field an update changed: its label, and its value before and after, in words."""

    label: str
    before: str | None  # None: a many-to-many field, whose sets are not spelled out
    after: str | None

    def __str__(self) -> str:
        if self.before is None and self.after is None:
            return f"{self.label} changed"
        return f"{self.label}: {self.before} → {self.after}"


@dataclass(frozen=True)
class Subject:
    """The point a change concerns (its version, number and short title), linked."""

    label: str
    url: str


@dataclass
class DescribedChange:
    change: Change
    label: str
    url: str
    summary: str  # "added", "deleted" or "changed status: proposed → agreed in principle"
    actor: Actor | None = None
    concerns: Subject | None = None  # the point concerned, when the record is about one
    fields: list[FieldChange] = field(default_factory=list)
    note: str = ""  # e.g. a name read as it is now, the record being newer than the page's date


_CHANGE_VERBS = {ChangeAction.CREATED: "added", ChangeAction.UPDATED: "changed", ChangeAction.DELETED: "deleted"}
_BOOKKEEPING = {"id", "created_at", "updated_at", "sort_key"}


def describe_changes(record: Record, changes: list[Change]) -> list[DescribedChange]:
    """A readable line and a link for each change-log row: what it concerns (a point by its
    version, number and short title) and, for an update, each field's old and new value in
    words. A fixed number of queries whatever the data: the states written and the ones just
    before (one query for every record type, `history.records.states_and_previous`), the
    points, territories and claims they name (one each, when named)."""
    by_type: dict[str, list[int]] = defaultdict(list)
    updated: dict[str, list[int]] = defaultdict(list)
    for change in changes:
        by_type[change.record_type].append(change.history_id)
        if change.action == ChangeAction.UPDATED:
            updated[change.record_type].append(change.history_id)
    found = records.states_and_previous(dict(by_type), dict(updated))
    rows = {key: SimpleNamespace(**state) for key, state in found["states"].items()}
    names = _Names(record, rows, found["previous"])
    described = []
    for change in changes:
        row = rows.get((change.record_type, change.history_id))
        label, url, actor = _change_label(change, row, names)
        fields: list[FieldChange] = []
        if change.action == ChangeAction.UPDATED and row is not None:
            before = found["previous"].get((change.record_type, change.history_id))
            fields = _field_changes(change, row, before, names)
        verb = _CHANGE_VERBS.get(change.action, change.action)
        if change.action == ChangeAction.UPDATED:
            summary = "changed " + ("; ".join(str(f) for f in fields) if fields else "no field")
        else:
            summary = verb
        described.append(
            DescribedChange(
                change,
                label,
                url,
                summary,
                actor,
                concerns=names.subject_of(change.record_type, row),
                fields=fields,
                note=names.note_for(change.record_type, row),
            )
        )
    return described


class _Names:
    """Names of the records the changes point to, each kind read once.

    Points are named as they are now (a deleted one by its last recorded state is not kept:
    it reads "a point no longer on record"). Territories are named as they were on the page's
    date, or as they are now, with a note, when the territory was recorded later.
    """

    def __init__(self, record: Record, rows: dict[tuple[str, int], Any], previous: dict[tuple[str, int], Any]) -> None:
        self.record = record
        self.actors = record.actors()
        self.versions = {version.pk: version for version in record.versions()}
        states = [*rows.items(), *((key, SimpleNamespace(**s)) for key, s in previous.items() if s)]
        point_ids: set[int] = set()
        territory_ids: set[int] = set()
        claim_ids: set[int] = set()
        for (kind, _history_id), row in states:
            for name in ("provision_id", "derives_from_id"):
                if getattr(row, name, None):
                    point_ids.add(getattr(row, name))
            if kind in {"provisions.controlobservation", "provisions.territorialdisposition"}:
                territory_ids.add(row.territory_id)
            if kind == "provisions.territory" and row.parent_id:
                territory_ids.add(row.parent_id)
            if kind == "actors.account":
                claim_ids.add(row.claim_id)
        # Points, claims and (live) territories as they are now: one query for the three.
        now = _read_now(
            {
                Provision: (point_ids, ("version_id", "number", "title")),
                Claim: (claim_ids, ("provision_id", "version_id")),
                Territory: (territory_ids if record.is_live else set(), ("name",)),
            }
        )
        self.points = {row.pk: row for row in now[Provision]}
        self.claims = {row.pk: row for row in now[Claim]}
        self.territories: dict[int, str] = {row.pk: row.name for row in now[Territory]}
        self.named_now: set[int] = set()  # territories not yet on record at the page's date
        if territory_ids and not record.is_live:
            known = records.as_of(Territory, record.moment).filter(id__in=territory_ids)
            then = {territory.pk: territory.name for territory in known}
            missing = territory_ids - set(then)
            later = dict(Territory.objects.filter(pk__in=missing).values_list("id", "name")) if missing else {}
            self.territories = {**later, **then}
            self.named_now = set(later)

    def territory(self, pk: int | None) -> str:
        if pk is None:
            return "none"
        return self.territories.get(pk) or "a territory no longer on record"

    def point_label(self, pk: int | None) -> str:
        point = self.points.get(pk) if pk else None
        if point is None:
            return "a point no longer on record" if pk else "none"
        version = self.versions.get(point.version_id)
        where = f"{version.label} · " if version else ""
        return f"{where}point {point.number}: {_short(point.title, SHORT_TITLE)}"

    def point_subject(self, pk: int | None) -> Subject | None:
        if not pk:
            return None
        url = reverse("provisions:provision_detail", args=[pk]) if pk in self.points else ""
        return Subject(self.point_label(pk), url)

    def subject_of(self, kind: str, row: Any) -> Subject | None:
        """The point a change concerns: the point itself, or the one a stance, a lineage link
        or a disposition is about."""
        if row is None:
            return None
        if kind == "provisions.provision":
            version = self.versions.get(row.version_id)
            where = f"{version.label} · " if version else ""
            return Subject(
                f"{where}point {row.number}: {_short(row.title, SHORT_TITLE)}",
                reverse("provisions:provision_detail", args=[row.id]),
            )
        if kind in {"actors.position", "provisions.lineage", "provisions.territorialdisposition", "actors.claim"}:
            return self.point_subject(getattr(row, "provision_id", None))
        return None

    def note_for(self, kind: str, row: Any) -> str:
        territory_id = None
        if row is not None and kind in {"provisions.controlobservation", "provisions.territorialdisposition"}:
            territory_id = row.territory_id
        if territory_id in self.named_now:
            return "The territory is named as it is now: it was recorded after this date."
        return ""

    def value(self, model_field: Any, raw: Any) -> str:
        """A stored value in words: choices by their label, foreign keys by name, dates as dates."""
        if raw is None or raw == "":
            return "none"
        if model_field.is_relation:
            target = model_field.related_model._meta.label_lower
            if target == "provisions.provision":
                return self.point_label(raw)
            if target == "provisions.version":
                version = self.versions.get(raw)
                return f"“{version.label}”" if version else "a version no longer on record"
            if target == "actors.actor":
                actor = self.actors.get(raw)
                return actor.name if actor else "an actor no longer on record"
            if target == "provisions.territory":
                return self.territory(raw)
            return f"no. {raw}"
        choices = dict(model_field.flatchoices) if model_field.choices else {}
        if isinstance(raw, list):
            base_choices = dict(getattr(getattr(model_field, "base_field", None), "flatchoices", []) or [])
            labels = [str(base_choices.get(item, item)) for item in raw]
            return ", ".join(labels) or "none"
        if choices:
            return str(choices.get(raw, raw)).lower() if isinstance(raw, str) else str(choices.get(raw, raw))
        value = model_field.to_python(raw)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return f"{value:%-d %B %Y, %H:%M}"
        if isinstance(value, date):
            return describe(value)
        if isinstance(value, str):
            return f"“{_short(value, SHORT_VALUE)}”"
        return str(value)


def _read_now(wanted: dict[type[Model], tuple[set[int], tuple[str, ...]]]) -> dict[type[Model], list[Any]]:
    """Rows of several models by id, as they are now, in one query (a UNION of one part per
    model with ids wanted): `{model: (ids, fields)}` gives `{model: [instance with those fields]}`."""
    parts = []
    for model, (ids, fields) in wanted.items():
        if ids:
            state = JSONObject(id=F("id"), **{name: F(name) for name in fields})
            label = Value(model._meta.label_lower)
            rows = model.objects.filter(pk__in=ids).order_by().annotate(read_type=label, read_state=state)
            parts.append(rows.values_list("read_type", "read_state"))
    found: dict[type[Model], list[Any]] = {model: [] for model in wanted}
    if not parts:
        return found
    by_label = {model._meta.label_lower: model for model in wanted}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for label, state in rows:
        model = by_label[label]
        state = state if isinstance(state, dict) else json.loads(state)
        found[model].append(model(**state))
    return found


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _field_changes(change: Change, row: Any, before: dict[str, Any] | None, names: _Names) -> list[FieldChange]:
    """Each field the update changed, with its value before and after (model fields' own labels)."""
    from django.apps import apps

    model = apps.get_model(change.record_type)
    result = []
    for name in change.changed_fields:
        if name in _BOOKKEEPING:
            continue
        try:
            model_field = model._meta.get_field(name)
        except Exception:  # a field since removed from the model: name it, values unknown
            result.append(FieldChange(name.replace("_", " "), None, None))
            continue
        label = str(model_field.verbose_name)
        if model_field.many_to_many:
            result.append(FieldChange(label, None, None))
            continue
        after = getattr(row, model_field.attname, None)
        previous = before.get(model_field.attname) if before else None
        result.append(FieldChange(label, names.value(model_field, previous), names.value(model_field, after)))
    return result


def _change_label(change: Change, row: Any, names: _Names) -> tuple[str, str, Actor | None]:
    kind = change.record_type
    actors, claims = names.actors, names.claims
    if row is None:
        return f"{kind.split('.')[-1].capitalize()} #{change.object_id}", "", None
    if kind == "provisions.provision":
        subject = names.subject_of(kind, row)
        return (
            subject.label if subject else f"Point {row.number}",
            reverse("provisions:provision_detail", args=[row.id]),
            None,
        )
    if kind == "actors.position":
        actor = actors.get(row.actor_id)
        name = actor.name if actor else "An actor"
        point = names.points.get(row.provision_id)
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
        # A territory's own change carries its name as that write left it.
        name = row.name if kind == "provisions.territory" else names.territory(territory_id)
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
            claim_url(Claim(pk=row.id, provision_id=row.provision_id, version_id=row.version_id)),
            None,
        )
    if kind == "actors.account":
        claim = claims.get(row.claim_id)
        url = claim_url(claim) if claim else ""
        return f"Account by {row.claimant}", url, actors.get(row.actor_id)
    if kind == "provisions.plan":
        return f"Plan: {row.name}", "", None
    if kind == "provisions.lineage":
        source = names.point_label(row.derives_from_id)
        # "Moved from" reads "(moved) from …": the relation's label without its preposition.
        relation = (
            LineageRelation(row.relation).label.lower().removesuffix(" from")
            if row.relation in LineageRelation.values
            else row.relation
        )
        return (
            f"Lineage link ({relation}) from {source}",
            reverse("provisions:provision_detail", args=[row.provision_id]),
            None,
        )
    return f"{kind.split('.')[-1].capitalize()} #{change.object_id}", "", None
