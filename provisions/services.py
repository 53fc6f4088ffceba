"""Multi-step writes on plans, versions and points. Each runs in one transaction,
validates once through the models and leaves a history row per record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from history.writing import delete_recorded, save_recorded

from .choices import LineageRelation, ProvisionStatus
from .models import ControlObservation, Lineage, Provision, TerritorialDisposition, Territory


@transaction.atomic
def provision_update(*, provision: Provision, user: Any = None, **fields: Any) -> Provision:
    """Change the given fields of a point; validation errors leave it untouched."""
    unknown = set(fields) - {"number", "title", "text", "text_basis", "note", "topics", "status"}
    if unknown:
        raise ValidationError(f"Cannot update: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(provision, name, value)
    return save_recorded(provision, user=user)


@transaction.atomic
def provisions_set_status(*, provisions: Iterable[Provision], status: str, user: Any = None) -> int:
    """Give many points one status at once (an admin bulk action), with history for each."""
    if status not in ProvisionStatus.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    changed = [p for p in provisions if p.status != status]
    for provision in changed:
        provision.status = status
        if user is not None and getattr(user, "is_authenticated", False):
            provision._history_user = user
    if changed:
        Provision.objects.bulk_update(changed, ["status"])
    return len(changed)


@transaction.atomic
def lineage_link(
    *,
    provision: Provision,
    derives_from: Provision,
    relation: str = LineageRelation.REWORDED,
    similarity: float | None = None,
    confirmed: bool = True,
    note: str = "",
    user: Any = None,
) -> Lineage:
    """Record that `provision` derives from a point of an earlier version."""
    link = Lineage(
        provision=provision,
        derives_from=derives_from,
        relation=relation,
        similarity=similarity,
        confirmed=confirmed,
        note=note,
    )
    return save_recorded(link, user=user)


@transaction.atomic
def lineage_confirm(*, links: Iterable[Lineage], user: Any = None) -> int:
    """Mark proposed (importer) links as reviewed, with history for each; confirmed ones are left alone."""
    pending = [link for link in links if not link.confirmed]
    for link in pending:
        link.confirmed = True
        if user is not None and getattr(user, "is_authenticated", False):
            link._history_user = user
    if pending:
        Lineage.objects.bulk_update(pending, ["confirmed"])
    return len(pending)


@transaction.atomic
def provision_set_lineage(*, provision: Provision, links: list[dict[str, Any]], user: Any = None) -> bool:
    """Make the point's links to earlier points exactly `links`; returns whether anything changed.

    Each link is a dict with `derives_from_id` and, optionally, `relation`, `similarity`
    and `confirmed`: an omitted detail keeps the existing link's value (or the default
    for a new link). Links not listed are deleted. Errors name the `derives_from` field.
    """
    wanted = _unique_by(links, lambda link: link["derives_from_id"], "derives_from", "earlier point")
    earlier = Provision.objects.in_bulk(wanted)
    missing = sorted(set(wanted) - set(earlier))
    if missing:
        raise ValidationError({"derives_from": [f"No point with id {pk}." for pk in missing]})
    return _replace_records(
        held={link.derives_from_id: link for link in provision.lineage_links.all()},
        wanted=wanted,
        new=lambda derives_from_id: Lineage(provision=provision, derives_from=earlier[derives_from_id]),
        editable=("relation", "similarity", "confirmed"),
        field="derives_from",
        user=user,
    )


@transaction.atomic
def provision_set_territories(*, provision: Provision, dispositions: list[dict[str, Any]], user: Any = None) -> bool:
    """Make what the point proposes for territories exactly `dispositions`; returns whether anything changed.

    Each is a dict with `territory_id`, `disposition` and optionally `note` (kept if omitted).
    A territory may appear twice with two dispositions (part demilitarized, part recognized).
    """
    wanted = _unique_by(
        dispositions,
        lambda item: (item["territory_id"], item["disposition"]),
        "territories",
        "territory and disposition",
    )
    territories = Territory.objects.in_bulk({territory_id for territory_id, _ in wanted})
    missing = sorted({territory_id for territory_id, _ in wanted} - set(territories))
    if missing:
        raise ValidationError({"territories": [f"No territory with id {pk}." for pk in missing]})
    return _replace_records(
        held={(item.territory_id, item.disposition): item for item in provision.dispositions.all()},
        wanted=wanted,
        new=lambda key: TerritorialDisposition(provision=provision, territory=territories[key[0]], disposition=key[1]),
        editable=("note",),
        field="territories",
        user=user,
    )


@transaction.atomic
def territory_set_observations(*, territory: Territory, observations: list[dict[str, Any]], user: Any = None) -> bool:
    """Make the territory's control observations exactly `observations`; returns whether anything changed.

    An item with an `id` updates that observation (a detail left out keeps its value); an
    item without one is a new observation; an observation not listed is deleted.
    Sources disagree, so two observations of one date are two items, never merged.
    """
    held = {item.pk: item for item in territory.control_observations.all()}
    listed = [item["id"] for item in observations if item.get("id") is not None]
    if len(listed) != len(set(listed)):
        raise ValidationError({"observations": ["The same observation is listed twice."]})
    strangers = sorted(set(listed) - set(held))
    if strangers:
        raise ValidationError({"observations": [f"No observation {pk} on this territory." for pk in strangers]})
    # New items get keys no held observation has.
    wanted = {
        item["id"] if item.get("id") is not None else ("new", index): item for index, item in enumerate(observations)
    }
    return _replace_records(
        held=held,
        wanted=wanted,
        new=lambda _key: ControlObservation(territory=territory),
        editable=("observed_on", "ukraine_share", "russia_share", "source", "note"),
        field="observations",
        user=user,
    )


def _replace_records(
    *,
    held: dict[Any, Model],
    wanted: dict[Any, dict[str, Any]],
    new: Callable[[Any], Model],
    editable: tuple[str, ...],
    field: str,
    user: Any,
) -> bool:
    """Delete the held records not wanted, create the wanted ones not held (`new(key)`), and
    save the held ones whose editable details differ; a detail left out keeps its value.
    Only real changes are written, so a repeated request adds no history row."""
    changed = False
    with _errors_under(field):
        for key, record in held.items():
            if key not in wanted:
                delete_recorded(record, user=user)
                changed = True
        for key, details in wanted.items():
            record = held[key] if key in held else new(key)
            updates = {name: details[name] for name in editable if name in details}
            if record.pk is None or any(getattr(record, name) != value for name, value in updates.items()):
                for name, value in updates.items():
                    setattr(record, name, value)
                save_recorded(record, user=user)
                changed = True
    return changed


def _unique_by(items: list[dict[str, Any]], key: Any, field: str, what: str) -> dict[Any, dict[str, Any]]:
    by_key: dict[Any, dict[str, Any]] = {}
    for item in items:
        if key(item) in by_key:
            raise ValidationError({field: [f"The same {what} is listed twice."]})
        by_key[key(item)] = item
    return by_key


@contextmanager
def _errors_under(field: str) -> Iterator[None]:
    """Report a linked record's validation errors under the field that lists the records."""
    try:
        yield
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
