"""Representations of plans, versions, points, territories and sources.

Serializers never query: every related row they read is loaded by the view's
QuerySet (or, for "as of" reads, attached by `provisions.as_of`) under the names of
`provisions.points`. Writes go through `history.writing.save_recorded` and the
provision services, so the model validates once and history records the user.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from rest_framework import serializers

from actors.choices import Stance
from api.serializers import ID_RANGE, TIMESTAMPS, IdField, LoadedManyRelatedField, RecordedSerializer, ids_of
from history.text import storable_text

from ..choices import Disposition, LineageRelation, Topic
from ..models import (
    ControlObservation,
    Lineage,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
)
from ..services import (
    provision_set_lineage,
    provision_set_territories,
    provision_update,
    territory_set_observations,
)


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "publisher", "title", "url", "published_on"]
        extra_kwargs = {
            "id": {"help_text": "Id of the source (see /sources/)."},
            "publisher": {"help_text": "Who published it."},
            "title": {"help_text": "Headline or title."},
            "url": {"help_text": "Web address, empty if unknown."},
            "published_on": {"help_text": "Publication date, if known."},
        }


class SourceSerializer(RecordedSerializer):
    """A document a fact is recorded from: publisher, title, URL and date."""

    class Meta:
        model = Source
        fields = [
            "id",
            "publisher",
            "title",
            "url",
            "url_missing_reason",
            "published_on",
            "published_on_precision",
            "kind",
            "is_state_media",
            "notes",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "publisher": {"help_text": "Who published it, e.g. Axios, Financial Times, Kremlin."},
            "title": {"help_text": "Headline or title of the document."},
            "url": {"help_text": "Web address (http/https); empty only with `url_missing_reason`."},
            "url_missing_reason": {"help_text": "Why the source has no web address (e.g. a broadcast)."},
            "published_on": {"help_text": "Publication date, if known."},
            "published_on_precision": {"help_text": "How much of the date is known: day, month or approximate."},
            "is_state_media": {"help_text": "Run by a government: a source for that government's position only."},
            "kind": {"help_text": "What kind of document it is."},
            "notes": {"help_text": "What it says that matters here; caveats."},
            **TIMESTAMPS,
        }


class PlanSerializer(RecordedSerializer):
    """A peace plan; its dated texts are its versions."""

    class Meta:
        model = Plan
        fields = ["id", "name", "slug", "description", "proposed_by", "answers", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"help_text": "The plan's name, e.g. “US 28-point peace framework”."},
            "slug": {"help_text": "Short unique name used in links."},
            "description": {"help_text": "What the plan is, who drafted it."},
            "proposed_by": {"help_text": "Id of the actor that proposed it (see /actors/)."},
            **TIMESTAMPS,
        }


class VersionSerializer(RecordedSerializer):
    """A dated text of a plan: who put it forward, its status and how its text is known."""

    sources = ids_of(Source, "Ids of the sources the text is known from.", required=False)

    class Meta:
        model = Version
        fields = [
            "id",
            "plan",
            "label",
            "dated",
            "dated_precision",
            "proposed_by",
            "status",
            "text_basis",
            "summary",
            "revises",
            "sources",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "plan": {"help_text": "Id of the plan this is a text of."},
            "label": {"help_text": "Name of this text, unique within its plan, e.g. “28-point draft”."},
            "dated": {"help_text": "The date the text is from (or was first reported)."},
            "dated_precision": {
                "help_text": "How much of the date is known: day, month (stored as the 1st) or approximate."
            },
            "proposed_by": {"help_text": "Id of the actor that put this text forward."},
            "status": {"help_text": "Where the text stands in the negotiation."},
            "text_basis": {"help_text": "How the text is known: official, leaked, reported or reconstructed."},
            "summary": {"help_text": "What this text says overall."},
            "revises": {"help_text": "Id of the earlier version this one revises or answers."},
            **TIMESTAMPS,
        }


def _require(attrs: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """Required even inside a PATCH: DRF lets a partial update skip nested required fields."""
    missing = {name: ["This field is required."] for source, name in fields.items() if source not in attrs}
    if missing:
        raise serializers.ValidationError(missing)
    return attrs


class _LineageLinkSerializer(serializers.Serializer):
    """A lineage link seen from one of its two points: the other point's id and the link's details."""

    other_point_attr = ""  # "derives_from_id" or "provision_id": which end is the other point

    # Not required on input: an omitted detail keeps the link's current value (or the default).
    relation = serializers.ChoiceField(
        choices=LineageRelation.choices, required=False, help_text="How the points relate (default reworded)."
    )
    similarity = serializers.FloatField(
        allow_null=True,
        required=False,
        min_value=0,
        max_value=1,
        help_text="Text similarity 0–1 where the importer proposed the link, else null.",
    )
    confirmed = serializers.BooleanField(
        required=False, help_text="False while an importer's proposed link awaits review (default true)."
    )

    def to_representation(self, link: Any) -> dict[str, Any]:
        return {
            "id": getattr(link, self.other_point_attr),
            "relation": link.relation,
            "similarity": link.similarity,
            "confirmed": link.confirmed,
        }


class EarlierPointSerializer(_LineageLinkSerializer):
    """A point this one derives from, with the lineage link's details."""

    other_point_attr = "derives_from_id"
    id = serializers.IntegerField(source="derives_from_id", help_text="Id of the earlier point.", **ID_RANGE)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _require(attrs, {"derives_from_id": "id"})


class LaterPointSerializer(_LineageLinkSerializer):
    """A point that derives from this one, with the lineage link's details."""

    other_point_attr = "provision_id"
    id = serializers.IntegerField(source="provision_id", help_text="Id of the later point.", **ID_RANGE)


class PointTerritorySerializer(serializers.Serializer):
    id = serializers.IntegerField(
        source="territory_id", help_text="Id of the territory (see /territories/).", **ID_RANGE
    )
    slug = serializers.CharField(source="territory.slug", read_only=True, help_text="The territory's short name.")
    name = serializers.CharField(source="territory.name", read_only=True, help_text="The territory's name.")
    disposition = serializers.ChoiceField(choices=Disposition.choices, help_text="What the point proposes for it.")
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        validators=[storable_text],  # the model field's, declared by hand here
        help_text="Which part of the territory, and on what terms.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _require(attrs, {"territory_id": "id", "disposition": "disposition"})

    def to_representation(self, item: Any) -> dict[str, Any]:
        territory = item.territory
        return {
            "id": territory.pk,
            "slug": territory.slug,
            "name": territory.name,
            "disposition": item.disposition,
            "note": item.note,
        }


class ActorBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the actor (see /actors/).")
    slug = serializers.CharField(help_text="The actor's short name.")
    name = serializers.CharField(help_text="The actor's name.")
    short_code = serializers.CharField(help_text="Short label for tables, e.g. US, RU, UA (may be empty).")


class StanceSerializer(serializers.Serializer):
    """An actor's current stance on a point."""

    id = serializers.IntegerField(help_text="Id of the position (see /positions/).")
    actor = ActorBriefSerializer(help_text="Who holds the stance.")
    stance = serializers.ChoiceField(choices=Stance.choices, help_text="The stance, from the controlled vocabulary.")
    summary = serializers.CharField(help_text="What the actor said or did.")
    taken_on = serializers.DateField(help_text="When the stance was taken (or first reported).")
    attributed_to = serializers.CharField(help_text="Who reports it, if not the actor itself.")
    sources = SourceBriefSerializer(many=True, help_text="The sources reporting the stance.")

    def to_representation(self, position: Any) -> dict[str, Any]:
        # Hand-built: a page of 100 points carries over a thousand stances, and DRF's
        # generic field machinery made them most of the request's time (bench/).
        actor = position.actor
        # `source_list`: attached by the view in one query for the whole page.
        sources = position.source_list
        return {
            "id": position.pk,
            "actor": {"id": actor.pk, "slug": actor.slug, "name": actor.name, "short_code": actor.short_code},
            "stance": position.stance,
            "summary": position.summary,
            "taken_on": position.taken_on.isoformat(),
            "attributed_to": position.attributed_to,
            "sources": [
                {
                    "id": source.pk,
                    "publisher": source.publisher,
                    "title": source.title,
                    "url": source.url,
                    "published_on": source.published_on.isoformat() if source.published_on else None,
                }
                for source in sources
            ],
        }


def dashboard_path(provision_id: int) -> str:
    try:
        return reverse("provisions:provision_detail", args=[provision_id])
    except NoReverseMatch:
        return f"/provisions/{provision_id}/"


def point_url_around_id(request: Any) -> tuple[str, str]:
    """The dashboard address of a point, split around its id: (before, after)."""
    path = dashboard_path(0)
    url = request.build_absolute_uri(path) if request is not None else path
    before, after = url.rsplit("/0/", 1)
    return f"{before}/", f"/{after}"


class ProvisionSerializer(RecordedSerializer):
    """One point of a version, with its lineage, the territories it disposes of and each actor's current stance."""

    url = serializers.SerializerMethodField(help_text="The point's page on the dashboard.")
    plan = serializers.IntegerField(source="plan_pk", read_only=True, help_text="Id of the version's plan.")
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=Topic.choices),
        min_length=1,
        max_length=len(Topic.values),
        help_text="One or more topics from the controlled vocabulary (TopicEnum), without repeats.",
    )
    derives_from = EarlierPointSerializer(
        source="derives_from_list",
        many=True,
        required=False,
        help_text="The earlier points this one derives from. On a write, the list replaces the point's links.",
    )
    derived_into = LaterPointSerializer(
        source="derived_into_list", many=True, read_only=True, help_text="The later points that derive from this one."
    )
    territories = PointTerritorySerializer(
        source="dispositions_list",
        many=True,
        required=False,
        help_text="Territories the point disposes of. On a write, the list replaces the point's dispositions.",
    )
    sources = LoadedManyRelatedField(
        loaded="source_list",
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True),
        read_only=True,
        help_text="Ids of the sources this point's wording comes from, where not its version's (set by editors "
        "in the admin).",
    )
    positions = StanceSerializer(
        source="stances",
        many=True,
        read_only=True,
        help_text="The current stance of each actor on this point (latest by date taken).",
    )

    class Meta:
        model = Provision
        fields = [
            "id",
            "url",
            "plan",
            "version",
            "number",
            "title",
            "text",
            "text_basis",
            "note",
            "sources",
            "topics",
            "status",
            "derives_from",
            "derived_into",
            "territories",
            "positions",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "version": {"help_text": "Id of the version the point belongs to (set on creation only)."},
            "number": {"help_text": "The point's number as printed: 1, 2, 10a, 10.b …"},
            "title": {"help_text": "Short title of the point."},
            "text": {"help_text": "The text as published, or its reported substance; empty when not reported."},
            "text_basis": {
                "help_text": "How this point's wording is known; empty: as its version's text. "
                "`not_reported`: the point exists but its wording was not reported."
            },
            "note": {"help_text": "Editorial commentary on the point (never part of the text)."},
            "status": {"help_text": "Where the point stands."},
            **TIMESTAMPS,
        }

    def get_url(self, provision: Provision) -> str:
        before, after = self._url_around_id
        return f"{before}{provision.pk}{after}"

    @cached_property
    def _url_around_id(self) -> tuple[str, str]:
        # Built once per response (a list shares one child serializer): reverse() and
        # build_absolute_uri() for each of 100 points were a tenth of the request's time.
        return point_url_around_id(self.context.get("request"))

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Provision:
        links, dispositions = self._pop_linked(validated_data)
        point = super().create(validated_data)
        self._write_linked(point, links, dispositions)
        return point

    @transaction.atomic
    def update(self, instance: Provision, validated_data: dict[str, Any]) -> Provision:
        links, dispositions = self._pop_linked(validated_data)
        version = validated_data.pop("version", None)
        if version is not None and version.pk != instance.version_id:
            raise serializers.ValidationError({"version": ["A point cannot move to another version."]})
        # Only the point's own fields that differ: a PATCH of its links alone adds no point history row.
        if any(getattr(instance, name) != value for name, value in validated_data.items()):
            instance = provision_update(provision=instance, user=self._user(), **validated_data)
        self._write_linked(instance, links, dispositions)
        return instance

    def _pop_linked(self, validated_data: dict[str, Any]) -> tuple[list | None, list | None]:
        links = validated_data.pop("derives_from_list", None)
        dispositions = validated_data.pop("dispositions_list", None)
        if links is not None:
            self._check_write_permissions(Lineage)
        if dispositions is not None:
            self._check_write_permissions(TerritorialDisposition)
        return links, dispositions

    def _write_linked(self, point: Provision, links: list | None, dispositions: list | None) -> None:
        if links is not None:
            provision_set_lineage(provision=point, links=links, user=self._user())
        if dispositions is not None:
            provision_set_territories(provision=point, dispositions=dispositions, user=self._user())


class ObservationSerializer(serializers.ModelSerializer):
    # Writable: on a territory write, an item with an id updates that observation.
    id = serializers.IntegerField(
        required=False, help_text="Id of the observation; leave out on a write to add a new one.", **ID_RANGE
    )
    serializer_related_field = IdField

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("id") is None:
            return _require(attrs, {"observed_on": "observed_on", "source": "source"})
        return attrs

    class Meta:
        model = ControlObservation
        fields = ["id", "observed_on", "observed_on_precision", "ukraine_share", "russia_share", "source", "note"]
        extra_kwargs = {
            "observed_on_precision": {"help_text": "How much of the date is known: day, month or approximate."},
            "note": {"help_text": "Caveats of the estimate."},
            "observed_on": {"help_text": "The date the shares describe."},
            "ukraine_share": {"help_text": "Share held by Ukraine, in % (null if not given)."},
            "russia_share": {"help_text": "Share held by Russia, in % (null if not given)."},
            "source": {"help_text": "Id of the source of the estimate."},
        }


class TerritorySerializer(RecordedSerializer):
    """An oblast, region, place or facility a plan names, with who holds how much of it."""

    observations = ObservationSerializer(
        source="observations_list",
        many=True,
        required=False,
        help_text=(
            "Who holds how much of it, newest first, one entry per source (sources disagree)."
            " On a write, the list replaces the territory's observations."
        ),
    )

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Territory:
        observations = self._pop_observations(validated_data)
        territory = super().create(validated_data)
        if observations is not None:
            territory_set_observations(territory=territory, observations=observations, user=self._user())
        return territory

    @transaction.atomic
    def update(self, instance: Territory, validated_data: dict[str, Any]) -> Territory:
        observations = self._pop_observations(validated_data)
        # Only the territory's own fields that differ: observations alone add no territory history row.
        if any(getattr(instance, name) != value for name, value in validated_data.items()):
            instance = super().update(instance, validated_data)
        if observations is not None:
            territory_set_observations(territory=instance, observations=observations, user=self._user())
        return instance

    def _pop_observations(self, validated_data: dict[str, Any]) -> list | None:
        observations = validated_data.pop("observations_list", None)
        if observations is not None:
            self._check_write_permissions(ControlObservation)
        return observations

    class Meta:
        model = Territory
        fields = ["id", "name", "slug", "kind", "parent", "description", "observations", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"help_text": "Name, e.g. Donetsk Oblast."},
            "slug": {"help_text": "Short unique name, also accepted by the `territory` filter of /provisions/."},
            "kind": {"help_text": "Region, oblast, city, facility or waterway."},
            "parent": {"help_text": "Id of the territory it is part of."},
            "description": {"help_text": "What and where it is."},
            **TIMESTAMPS,
        }


# --- Version comparison (read-only) ---------------------------------------


class VersionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the version.")
    plan = serializers.IntegerField(source="plan_id", help_text="Id of its plan.")
    label = serializers.CharField(help_text="Name of the version.")
    dated = serializers.DateField(help_text="The date of its text.")


class PointBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the point (see /provisions/).")
    number = serializers.CharField(help_text="Its number as printed.")
    title = serializers.CharField(help_text="Its title.")


class DiffSegmentSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"], help_text="Kept, added or removed text.")
    text = serializers.CharField(trim_whitespace=False, help_text="The words, whitespace included.")


class PointChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["added", "removed", "changed", "unchanged", "unknown"],
        help_text="How the point fared between the versions; `unknown` where a wording was not reported.",
    )
    old = PointBriefSerializer(many=True, help_text="The earlier point(s) (several when points were merged).")
    new = PointBriefSerializer(allow_null=True, help_text="The later point; null when removed.")
    changed_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields that differ (number, title, text, status, topics), plus `split` or `merged`.",
    )
    diff = DiffSegmentSerializer(
        many=True,
        help_text="Word-level diff of the text, for changed points only (empty otherwise), grouped into phrases: "
        "each change is a `delete` then an `insert`; `equal` + `delete` texts give the old text, "
        "`equal` + `insert` the new one.",
    )


class CompareCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Points only in the new version.")
    removed = serializers.IntegerField(help_text="Points of the old version with no successor.")
    changed = serializers.IntegerField(help_text="Points that changed (number, title, text, status or topics).")
    unchanged = serializers.IntegerField(help_text="Points carried over as they were.")
    unknown = serializers.IntegerField(help_text="Points whose fate is unknown: a wording was not reported.")


class ComparisonSerializer(serializers.Serializer):
    old_version = VersionBriefSerializer(help_text="The earlier of the two versions.")
    new_version = VersionBriefSerializer(help_text="The later of the two versions.")
    counts = CompareCountsSerializer(help_text="How many points of each kind.")
    added = PointChangeSerializer(many=True, help_text="Points only in the new version.")
    removed = PointChangeSerializer(many=True, help_text="Points of the old version with no successor.")
    changed = PointChangeSerializer(many=True, help_text="Points that changed, each with a word-level diff.")
    unchanged = PointChangeSerializer(many=True, help_text="Points carried over as they were.")
    unknown = PointChangeSerializer(many=True, help_text="Points whose fate is unknown: a wording was not reported.")
