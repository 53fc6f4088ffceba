"""The editor's review of an import: what the review page shows, and the one write that applies it.

Reading: each proposed link of the imported version with both texts, a word diff, its score,
relation and the importer's reason; the new points nothing links to and the earlier points
nothing derives from. Writing (`import_job_review`): accept, reject or re-point links, or
accept every proposed link scoring at least a threshold, all in one transaction with history
recorded per link (a bad decision saves nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from history.locking import lock_change_log
from history.writing import delete_recorded, save_recorded
from provisions.diffing import word_diff
from provisions.models import Lineage, Provision
from provisions.services import lineage_confirm

from .choices import JobStatus
from .models import ImportJob

ACCEPT, REJECT, KEEP = "accept", "reject", ""
REASON_PREFIX = "Proposed by the importer: "


@dataclass
class ReviewRow:
    link: Lineage
    reason: str
    diff: list[dict[str, str]]


@dataclass
class Review:
    job: ImportJob
    rows: list[ReviewRow]
    unlinked: list[Provision]  # new points nothing links
    dropped: list[Provision]  # earlier points nothing derives from
    earlier: list[Provision]  # every point of the revised version, for re-pointing

    @property
    def pending(self) -> int:
        return sum(not row.link.confirmed for row in self.rows)


def import_review(job: ImportJob) -> Review:
    """What the review page shows (a fixed number of queries)."""
    links = list(
        Lineage.objects.filter(provision__version_id=job.version_id)
        .select_related("provision", "derives_from", "derives_from__version")
        .order_by("provision__sort_key", "derives_from__sort_key")
    )
    new_points = list(Provision.objects.filter(version_id=job.version_id).order_by("sort_key"))
    earlier = list(Provision.objects.filter(version_id=job.revises_id).order_by("sort_key")) if job.revises_id else []
    linked_new = {link.provision_id for link in links}
    linked_old = {link.derives_from_id for link in links}
    rows = [
        ReviewRow(
            link=link,
            reason=link.note.removeprefix(REASON_PREFIX).rstrip("."),
            diff=word_diff(link.derives_from.text, link.provision.text),
        )
        for link in links
    ]
    return Review(
        job=job,
        rows=rows,
        unlinked=[p for p in new_points if p.pk not in linked_new],
        dropped=[p for p in earlier if p.pk not in linked_old],
        earlier=earlier,
    )


@transaction.atomic
def import_job_review(
    *,
    job: ImportJob,
    decisions: dict[int, dict[str, Any]] | None = None,
    accept_above: float | None = None,
    user: Any = None,
) -> dict[str, int]:
    """Apply the editor's review of an imported version's proposed links, all or nothing.

    `decisions` maps a link id to {"action": "accept" | "reject" | "", "derives_from": point id or
    None}: a different `derives_from` re-points the link to that point of the revised version (and
    confirms it). `accept_above` confirms every still-proposed link scoring at least that much.
    Accepted links become confirmed lineage, with a history row each. Raises ValidationError
    (nothing saved) for a link of another import, a point outside the revised version, or a job
    that is not awaiting review. Returns the counts accepted, rejected and re-pointed.
    """
    lock_change_log()  # the one lock order (history/locking.py): before the job's row
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.IMPORTED or job.version_id is None:
        raise ValidationError(
            f"Only an import awaiting review can be reviewed; this one is “{job.get_status_display()}”."
        )
    decisions = decisions or {}
    links = {link.pk: link for link in Lineage.objects.filter(provision__version_id=job.version_id)}
    strangers = sorted(set(decisions) - set(links))
    if strangers:
        raise ValidationError(f"Link(s) {', '.join(map(str, strangers))} are not links of this import.")
    earlier = {p.pk: p for p in Provision.objects.filter(version_id=job.revises_id)} if job.revises_id else {}
    counts = {"accepted": 0, "rejected": 0, "repointed": 0}
    to_confirm: list[Lineage] = []
    for link_id, decision in sorted(decisions.items()):
        link, action = links[link_id], decision.get("action", KEEP)
        target = decision.get("derives_from")
        if action == REJECT:
            delete_recorded(link, user=user)
            counts["rejected"] += 1
            continue
        if target is not None and target != link.derives_from_id:
            if target not in earlier:
                raise ValidationError(
                    {
                        "derives_from": f"Point id {target} is not a point of “{job.revises.label}”: a link can "
                        f"only be re-pointed to a point of the version this import revises "
                        f"(point {link.provision.number})."
                    }
                )
            was = link.derives_from.number
            link.derives_from = earlier[target]
            link.confirmed = True
            link.similarity = None
            link.note = f"Re-pointed by the editor from {was} to {earlier[target].number}."
            save_recorded(link, user=user)
            counts["repointed"] += 1
        elif action == ACCEPT:
            to_confirm.append(link)
    if accept_above is not None:
        to_confirm += [
            link
            for pk, link in links.items()
            if decisions.get(pk, {}).get("action", KEEP) == KEEP
            and not link.confirmed
            and link.similarity is not None
            and link.similarity >= accept_above
        ]
    counts["accepted"] = lineage_confirm(links=to_confirm, user=user)
    return counts
