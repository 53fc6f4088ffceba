"""Query-string filters of plans, versions, points, territories and sources.

Values are validated: an unknown choice, id, slug or a malformed date is a 400
naming the parameter. Vocabularies come from `provisions.choices` and
`actors.choices`, so the schema lists the same values the models store.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from actors.choices import Stance
from actors.models import Actor
from actors.stances import NO_STANCE
from api.filtering import IdOrSlugFilter, date_range
from api.params import resolve_id_or_slug

from ..choices import Disposition, ProvisionStatus, SourceKind, TerritoryKind, Topic, VersionStatus
from ..models import Plan, Provision, Source, Territory, Version
from ..points import PointFilter


class ProvisionFilter(django_filters.FilterSet):
    """The API's face of `provisions.points.PointFilter`: every parameter is validated
    here, then the one predicate (the dashboard's too) is applied in SQL."""

    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(), method="applied_together", help_text="Id of a plan: its points, all versions."
    )
    version = django_filters.ModelChoiceFilter(
        queryset=Version.objects.all(), method="applied_together", help_text="Id of a version."
    )
    number = django_filters.CharFilter(
        method="applied_together", help_text="The point's number as printed (10a and 10.a are the same number)."
    )
    topic = django_filters.ChoiceFilter(
        choices=Topic.choices, method="applied_together", help_text="Points on this topic."
    )
    status = django_filters.ChoiceFilter(
        choices=ProvisionStatus.choices, method="applied_together", help_text="Points with this status."
    )
    territory = django_filters.CharFilter(
        method="applied_together",
        help_text="Id or slug of a territory: points disposing of it or of a territory inside it "
        "(`donbas` includes Donetsk and Luhansk).",
    )
    disposition = django_filters.ChoiceFilter(
        choices=Disposition.choices, method="applied_together", help_text="Points proposing this disposition."
    )
    actor = django_filters.CharFilter(
        method="applied_together",
        help_text="Id or slug of an actor: points on which its stance counts (its own current stance; for a "
        "party without one, that of the latest person speaking for it). With `stance`: that stance.",
    )
    stance = django_filters.ChoiceFilter(
        choices=[*Stance.choices, (NO_STANCE, "No recorded stance")],
        method="applied_together",
        help_text="Points on which some principal party (with `actor`: that actor) holds this stance, "
        "by the same rule as `actor`; `none`: no recorded stance.",
    )
    attributed = django_filters.BooleanFilter(
        method="applied_together",
        help_text="With `actor`/`stance`: count stances others attribute to a party too "
        "(by default only stances the party or its people stated count).",
    )
    q = django_filters.CharFilter(
        method="applied_together",
        help_text="Search the point's number, title and text (the dashboard's search; `search` is the same): "
        'every word must appear; "quoted words" as a phrase; `or` between terms for either; `-word` or '
        '`-"a phrase"` to exclude. English words are stemmed (`guarantee` finds `guarantees`) and common '
        "ones (`the`, `of`) ignored, on SQLite as on PostgreSQL. A query with no word in it matches nothing.",
    )

    class Meta:
        model = Provision
        fields = [
            "plan",
            "version",
            "number",
            "topic",
            "status",
            "territory",
            "disposition",
            "actor",
            "stance",
            "attributed",
            "q",
        ]

    # Each parameter is applied by `point_filter()` in filter_queryset; the `value: str`
    # hint gives the text parameters their type in the schema.
    def applied_together(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def point_filter(self) -> PointFilter:
        """The validated parameters as the one point predicate."""
        data = self.form.cleaned_data
        territory, actor = data.get("territory"), data.get("actor")
        return PointFilter(
            plan=data.get("plan"),
            version=data.get("version"),
            number=data.get("number") or "",
            topic=data.get("topic") or "",
            status=data.get("status") or "",
            territory=resolve_id_or_slug(Territory, territory, "territory") if territory else None,
            disposition=data.get("disposition") or "",
            party=resolve_id_or_slug(Actor, actor, "actor") if actor else None,
            stance=data.get("stance") or "",
            text=(data.get("q") or "").strip(),
            attributed=bool(data.get("attributed")),
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.point_filter().apply(queryset)


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
