"""Multi-step writes on plans, versions and points. Each runs in one transaction,
validates once through the models and leaves a history row per record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from history.writing import save_recorded

from .choices import LineageRelation, ProvisionStatus
from .models import Lineage, Provision, TerritorialDisposition, Territory


@transaction.atomic
def provision_update(*, provision: Provision, user: Any = None, **fields: Any) -> Provision:
    """Change the given fields of a point; validation errors leave it untouched."""
    unknown = set(fields) - {"number", "title", "text", "topics", "status"}
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
def disposition_set(
    *, provision: Provision, territory: Territory, disposition: str, note: str = "", user: Any = None
) -> TerritorialDisposition:
    """Record what a point proposes for a territory."""
    return save_recorded(
        TerritorialDisposition(provision=provision, territory=territory, disposition=disposition, note=note),
        user=user,
    )


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
