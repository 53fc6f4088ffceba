"""Multi-step reads shared by the dashboard and the API: lineage and version comparison."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from .choices import PointTextBasis
from .diffing import DiffSegment, word_diff
from .models import Lineage, Plan, Provision, Version

COMPARED_FIELDS = ("number", "title", "text", "status", "topics")


@dataclass
class PointChange:
    """How one point fared between two versions."""

    kind: str  # "added", "removed", "changed", "unchanged" or "unknown" (a wording not reported)
    old: list[Provision] = field(default_factory=list)
    new: Provision | None = None
    changed_fields: list[str] = field(default_factory=list)
    diff: list[DiffSegment] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple[str, str]:
        if self.new is not None:
            return (self.new.sort_key, "")
        return (self.old[0].sort_key, "~")


@dataclass
class VersionComparison:
    old_version: Version
    new_version: Version
    changes: list[PointChange]

    def of_kind(self, kind: str) -> list[PointChange]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0, "unknown": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts


def _family_links(plan_ids: set[int]) -> QuerySet[Lineage]:
    """The lineage links that can touch points of these plans: links from or to a point of
    these plans, of the plans they answer or of their counter-proposals. One query: the family
    of plans is a subquery of it."""
    family = Plan.objects.filter(
        Q(id__in=plan_ids) | Q(answers_id__in=plan_ids) | Q(counter_proposals__in=plan_ids)
    ).values("id")
    return Lineage.objects.filter(
        Q(provision__version__plan_id__in=family) | Q(derives_from__version__plan_id__in=family)
    )


def _lineage_graph(pairs: Iterable[tuple[int, int]]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Parents and children of every point, from (point, point it derives from) pairs."""
    parents: dict[int, set[int]] = defaultdict(set)
    children: dict[int, set[int]] = defaultdict(set)
    for child, parent in pairs:
        parents[child].add(parent)
        children[parent].add(child)
    return parents, children


def _reach(start: int, edges: dict[int, set[int]], targets: set[int]) -> set[int]:
    """Points among `targets` reachable from `start` along `edges` (stopping at the first hit)."""
    found: set[int] = set()
    seen = {start}
    queue = deque(edges.get(start, ()))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        if node in targets:
            found.add(node)
            continue
        queue.extend(edges.get(node, ()))
    return found


def in_date_order(a: Version, b: Version) -> tuple[Version, Version]:
    """Two versions, the older first: the one a comparison goes from, whichever way it was asked
    for (lineage runs from the older text to the newer, so the other way finds no match).
    Versions of one day are ordered by id, the order they were recorded in."""
    older, newer = sorted([a, b], key=lambda version: (version.dated, version.pk))
    return older, newer


def compare_versions(
    old_version: Version,
    new_version: Version,
    *,
    old_points: list[Provision] | None = None,
    new_points: list[Provision] | None = None,
) -> VersionComparison:
    """Points added, removed, changed and unchanged from `old_version` to `new_version`.

    Follows lineage (through intermediate versions too), not point numbers: a point
    renumbered from 21 to 14 is "changed". Where a wording was not reported the answer is
    "unknown", and so is an unmatched old point whose number such an unlinked point carries.
    A point split in two gives two changes; a merged point is compared with the joined
    texts of its sources.
    Runs a fixed number of queries whatever the size of the versions. `old_points` /
    `new_points` pass the points to compare when they are not the stored ones (e.g. as of a date).
    """
    if old_points is None:
        old_points = list(Provision.objects.filter(version=old_version).order_by("sort_key"))
    if new_points is None:
        new_points = list(Provision.objects.filter(version=new_version).order_by("sort_key"))
    old_points = {p.id: p for p in sorted(old_points, key=lambda p: p.sort_key)}
    new_points = {p.id: p for p in sorted(new_points, key=lambda p: p.sort_key)}
    if old_version.pk == new_version.pk:
        # A version against itself: every point is its own match (lineage never links a point to itself).
        changes = [PointChange("unchanged", old=[point], new=point) for point in new_points.values()]
        return VersionComparison(old_version, new_version, changes)
    family_links = _family_links({old_version.plan_id, new_version.plan_id})
    parents, _children = _lineage_graph(family_links.values_list("provision_id", "derives_from_id"))

    ancestry = {
        point.id: sorted(_reach(point.id, parents, set(old_points)), key=lambda pk: old_points[pk].sort_key)
        for point in new_points.values()
    }
    # An old point reached from several new points was split.
    descendants_count: dict[int, int] = defaultdict(int)
    for ancestors in ancestry.values():
        for pk in ancestors:
            descendants_count[pk] += 1

    changes: list[PointChange] = []
    # Numbers of new points whose wording is unknown and that no link ties to an old point:
    # the old point with that number may live on in it, so its fate is unknown, not "removed".
    unknown_numbers: set[str] = set()
    for point in new_points.values():
        ancestors = ancestry[point.id]
        sources = [old_points[pk] for pk in ancestors]
        if not _wording_known(point, *sources):
            # An unknown wording is never shown as unchanged, changed or new.
            changes.append(PointChange("unknown", old=sources, new=point))
            if not ancestors:
                unknown_numbers.add(point.sort_key)
            continue
        if not ancestors:
            changes.append(PointChange("added", new=point, diff=word_diff("", point.text)))
            continue
        if len(sources) > 1:
            changed_fields = ["merged"]
        else:
            changed_fields = [name for name in COMPARED_FIELDS if getattr(sources[0], name) != getattr(point, name)]
            if descendants_count[sources[0].id] > 1:
                changed_fields.insert(0, "split")
        old_text = "\n\n".join(source.text for source in sources)
        changes.append(
            PointChange(
                "changed" if changed_fields else "unchanged",
                old=sources,
                new=point,
                changed_fields=changed_fields,
                diff=word_diff(old_text, point.text),
            )
        )
    reached = {pk for ancestors in ancestry.values() for pk in ancestors}
    for pk, point in old_points.items():
        if pk not in reached:
            if point.sort_key in unknown_numbers:
                changes.append(PointChange("unknown", old=[point]))
            else:
                changes.append(PointChange("removed", old=[point], diff=word_diff(point.text, "")))
    changes.sort(key=lambda change: change.sort_key)
    return VersionComparison(old_version, new_version, changes)


def _wording_known(*points: Provision) -> bool:
    return all(point.text_basis != PointTextBasis.NOT_REPORTED for point in points)


@dataclass
class LineageStep:
    provision: Provision
    depth: int  # negative: earlier versions; positive: later versions
    link: Lineage | None = None


def lineage_of(provision: Provision) -> tuple[list[LineageStep], list[LineageStep]]:
    """The same point in earlier versions (nearest first) and in later ones.

    Direct neighbours carry their `link` (so a link the importer proposed and no
    editor confirmed yet can be shown as such). Two queries whatever the history length:
    the family's links (the direct ones among them), then the points reached.
    """
    links = list(_family_links({provision.version.plan_id}))
    parents, children = _lineage_graph((link.provision_id, link.derives_from_id) for link in links)

    def walk(edges: dict[int, set[int]]) -> dict[int, int]:
        depth: dict[int, int] = {}
        queue = deque((pk, 1) for pk in edges.get(provision.id, ()))
        while queue:
            pk, level = queue.popleft()
            if pk in depth or pk == provision.id:
                continue
            depth[pk] = level
            queue.extend((nxt, level + 1) for nxt in edges.get(pk, ()))
        return depth

    earlier, later = walk(parents), walk(children)
    points = Provision.objects.filter(id__in=set(earlier) | set(later)).select_related("version", "version__plan")
    by_id = {p.id: p for p in points}
    # The direct links, keyed by the point at their other end.
    direct = {link.derives_from_id: link for link in links if link.provision_id == provision.id}
    direct |= {link.provision_id: link for link in links if link.derives_from_id == provision.id}
    back = sorted(
        (LineageStep(by_id[pk], -d, direct.get(pk) if d == 1 else None) for pk, d in earlier.items()),
        key=lambda s: (-s.depth, s.provision.sort_key),
    )
    forward = sorted(
        (LineageStep(by_id[pk], d, direct.get(pk) if d == 1 else None) for pk, d in later.items()),
        key=lambda s: (s.depth, s.provision.sort_key),
    )
    return back, forward
