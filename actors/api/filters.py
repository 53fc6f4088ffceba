"""Query-string filters of actors, positions and events (validated: bad values are a 400)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from api.filtering import IdOrSlugFilter, StrictBooleanFilter, date_range
from provisions.models import Provision, Version

from ..choices import ActorKind, EventKind, Stance
from ..models import Actor, Event, Position


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ActorKind.choices, help_text="Actors of this kind.")
    is_principal = StrictBooleanFilter(help_text="true: only the principal parties (matrix columns).")
    represents = IdOrSlugFilter(model=Actor, lookup="represents", help_text="Id or slug: people speaking for it.")

    class Meta:
        model = Actor
        fields = ["kind", "is_principal", "represents"]


class PositionFilter(django_filters.FilterSet):
    actor = IdOrSlugFilter(model=Actor, lookup="actor", help_text="Id or slug of the actor.")
    provision = django_filters.ModelChoiceFilter(queryset=Provision.objects.all(), help_text="Id of a point.")
    version = django_filters.ModelChoiceFilter(
        queryset=Version.objects.all(), help_text="Id of a version: stances on it and on its points."
    )
    stance = django_filters.ChoiceFilter(choices=Stance.choices, help_text="Positions with this stance.")
    taken_on_after, taken_on_before = date_range("taken_on", "Taken")
    current = StrictBooleanFilter(
        method="filter_current",
        help_text="true: only each actor's latest stance per subject; false: only superseded ones.",
    )

    class Meta:
        model = Position
        fields = ["actor", "provision", "version", "stance", "taken_on_after", "taken_on_before", "current"]

    def filter_current(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        # (Not called when `current` is absent; `value: bool` types it in the schema.)
        # "Current" is decided over all of an actor's stances, before any other filter.
        current = Position.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class EventFilter(django_filters.FilterSet):
    occurred_on_after, occurred_on_before = date_range("occurred_on", "Happened")
    actor = IdOrSlugFilter(model=Actor, lookup="actors", help_text="Id or slug of an actor involved.")
    kind = django_filters.ChoiceFilter(choices=EventKind.choices, help_text="Events of this kind.")
    version = django_filters.ModelChoiceFilter(queryset=Version.objects.all(), help_text="Id of the version discussed.")

    class Meta:
        model = Event
        fields = ["occurred_on_after", "occurred_on_before", "actor", "kind", "version"]
