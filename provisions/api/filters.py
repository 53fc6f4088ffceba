"""Query-string filters of plans, versions, points, territories and sources.

Values are validated: an unknown choice, id, slug or a malformed date is a 400
naming the parameter. Vocabularies come from `provisions.choices` and
`actors.choices`, so the schema lists the same values the models store.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from actors.choices import Stance
from actors.models import Actor, Position

from ..choices import Disposition, ProvisionStatus, SourceKind, TerritoryKind, Topic, VersionStatus
from ..models import Plan, Provision, Source, Territory, Version
from ..numbering import point_sort_key
from .filtering import IdOrSlugFilter, date_range, resolve_id_or_slug


def stance_subjects(*, actor: Actor | None, stance: str | None) -> QuerySet:
    """Ids of points on which `actor` (any actor if None) currently holds `stance` (any if None).

    The stance is matched after picking each actor's latest position, so an
    actor who opposed a point and later supported it counts as supporting.
    """
    current = Position.objects.current().values("pk")
    positions = Position.objects.filter(pk__in=current, provision__isnull=False)
    if actor is not None:
        positions = positions.filter(actor=actor)
    if stance:
        positions = positions.filter(stance=stance)
    return positions.values("provision_id")


class ProvisionFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="version__plan", queryset=Plan.objects.all(), help_text="Id of a plan: its points, all versions."
    )
    version = django_filters.ModelChoiceFilter(queryset=Version.objects.all(), help_text="Id of a version.")
    number = django_filters.CharFilter(
        method="filter_number", help_text="The point's number as printed (10a and 10.a are the same number)."
    )
    topic = django_filters.ChoiceFilter(choices=Topic.choices, method="filter_topic", help_text="Points on this topic.")
    status = django_filters.ChoiceFilter(choices=ProvisionStatus.choices, help_text="Points with this status.")
    territory = IdOrSlugFilter(
        model=Territory, lookup="dispositions__territory", help_text="Id or slug of a territory the point disposes of."
    )
    disposition = django_filters.ChoiceFilter(
        choices=Disposition.choices, method="filter_disposition", help_text="Points proposing this disposition."
    )
    actor = django_filters.CharFilter(
        method="filter_actor",
        help_text="Id or slug of an actor: points it has a current stance on (with `stance`: that stance).",
    )
    stance = django_filters.ChoiceFilter(
        choices=Stance.choices,
        method="filter_stance",
        help_text="Points on which some actor (with `actor`: that actor) currently holds this stance.",
    )

    class Meta:
        model = Provision
        fields = ["plan", "version", "number", "topic", "status", "territory", "disposition", "actor", "stance"]

    def filter_number(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(sort_key=point_sort_key(value))

    def filter_topic(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.with_topic(value)

    def filter_disposition(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=Provision.objects.filter(dispositions__disposition=value).values("pk"))

    # `actor` and `stance` are applied together in filter_queryset; the `value: str`
    # hints give the parameters their type in the schema.
    def filter_actor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def filter_stance(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        actor_value = self.form.cleaned_data.get("actor")
        stance = self.form.cleaned_data.get("stance") or None
        actor = resolve_id_or_slug(Actor, actor_value, "actor") if actor_value else None
        if actor is None and stance is None:
            return queryset
        return queryset.filter(pk__in=stance_subjects(actor=actor, stance=stance))


class VersionFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(queryset=Plan.objects.all(), help_text="Id of a plan: its versions.")
    status = django_filters.ChoiceFilter(choices=VersionStatus.choices, help_text="Versions with this status.")

    class Meta:
        model = Version
        fields = ["plan", "status"]


class TerritoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=TerritoryKind.choices, help_text="Territories of this kind.")
    parent = IdOrSlugFilter(model=Territory, lookup="parent", help_text="Id or slug: the territories inside it.")

    class Meta:
        model = Territory
        fields = ["kind", "parent"]


class SourceFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices, help_text="Sources of this kind.")
    published_after, published_before = date_range("published_on", "Published")

    class Meta:
        model = Source
        fields = ["kind", "published_after", "published_before"]
