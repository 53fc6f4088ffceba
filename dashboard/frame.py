"""What every page reads whatever it shows: the actors (names, the party picker) and the
versions (the version picker), with the record's cut-off. Live in one query; as of a date in
two (`history.records.read_as_of`)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.fields import DateField
from django.db.models.functions import Coalesce

from actors.models import Actor
from history import records
from provisions.models import Provision, Source, Version

from .inline import instance, json_columns, rows_together


def live_actors_and_versions() -> tuple[dict[int, Actor], list[Version]]:
    """The actors by id (in name order), each with `.represents`, and the versions latest first,
    each with `.plan`, `.proposed_by`, `.revises`, `.point_count` and `.record_cut_off` (the
    date of the latest dated source: every fact cites one). One query for the two."""
    point_count = Provision.objects.filter(version=OuterRef("pk")).order_by().values("version").annotate(n=Count("pk"))
    latest_source = Source.objects.filter(published_on__isnull=False).order_by("-published_on")
    found = rows_together(
        {
            "actor": (Actor.objects.all(), json_columns(Actor)),
            "version": (
                Version.objects.all(),
                {
                    **json_columns(Version, related=("plan",)),
                    "point_count": Coalesce(Subquery(point_count.values("n")), 0),
                    "record_cut_off": Subquery(latest_source.values("published_on")[:1]),
                },
            ),
        }
    )
    actors = sorted((instance(Actor, row) for row in found["actor"]), key=lambda actor: (actor.name, actor.pk))
    by_id = {actor.pk: actor for actor in actors}
    for actor in actors:
        actor.represents = by_id.get(actor.represents_id)
    versions = []
    for row in found["version"]:
        version = instance(Version, row, related=("plan",))
        version.point_count = row["point_count"]
        version.record_cut_off = DateField().to_python(row["record_cut_off"])
        versions.append(version)
    versions.sort(key=lambda version: (version.dated, version.pk), reverse=True)  # latest first
    versions_by_id = {version.pk: version for version in versions}
    for version in versions:
        version.proposed_by = by_id.get(version.proposed_by_id)
        version.revises = versions_by_id.get(version.revises_id)
    return by_id, versions


def actors_and_versions_as_of(moment: datetime) -> tuple[dict[int, Actor], list[Version]]:
    """`live_actors_and_versions` as the record stood at `moment`: the actors on record then
    (named as they are now, or as they last stood if deleted since), and the versions on record
    then with their plan, `.point_count` (points on record then) and `.record_cut_off` (the
    latest source dated then). Two queries for the lot (`history.records.read_as_of`)."""
    point_count = (
        records.latest_rows(Provision, moment)
        .filter(version_id=OuterRef("id"))
        .order_by()
        .values("version_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest_source = records.latest_rows(Source, moment).filter(published_on__isnull=False).order_by("-published_on")
    snapshot = records.read_as_of(
        moment,
        {
            "actors": records.AsOfRead(Actor, fields=("id",), named_self=True),
            "versions": records.AsOfRead(
                Version,
                named=("plan",),
                extra={
                    "point_count": Coalesce(Subquery(point_count), 0),
                    "record_cut_off": Subquery(latest_source.values("published_on")[:1]),
                },
            ),
        },
    )
    named = snapshot.named.get(Actor, {})
    on_record = sorted(
        (named[row.pk] for row in snapshot.rows["actors"] if row.pk in named),
        key=lambda actor: (actor.name, actor.pk),
    )
    by_id = {actor.pk: actor for actor in on_record}
    versions = sorted(snapshot.rows["versions"], key=lambda v: (v.dated, v.pk), reverse=True)  # latest first
    versions_by_id = {version.pk: version for version in versions}
    for version in versions:
        version.record_cut_off = DateField().to_python(version.record_cut_off)
        version.proposed_by = by_id.get(version.proposed_by_id)
        version.revises = versions_by_id.get(version.revises_id)
    return by_id, versions
