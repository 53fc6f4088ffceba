"""The change log, described: a readable line and a link per change."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from actors.choices import Stance
from actors.models import Actor, Claim
from history.models import Change, ChangeAction
from provisions.choices import Disposition
from provisions.models import Provision, Territory

from ..record import Record


def claim_url(claim: Claim) -> str:
    if claim.provision_id:
        return reverse("provisions:provision_detail", args=[claim.provision_id]) + f"#claim-{claim.pk}"
    if claim.version_id:
        return reverse("provisions:overview") + f"?version={claim.version_id}#claim-{claim.pk}"
    return reverse("provisions:timeline")


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
        return "Lineage link", reverse("provisions:provision_detail", args=[row.provision_id]), None
    return f"{kind.split('.')[-1].capitalize()} #{change.object_id}", "", None
