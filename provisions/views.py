"""The analysts' dashboard: thin views that gather context from `provisions.dashboard`.

Every page takes `?as_of=YYYY-MM-DD` (see `with_record`): it then shows the record
as it stood at the end of that day.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from actors.choices import Stance
from actors.models import Actor

from . import dashboard
from .as_of import parse_as_of
from .choices import ProvisionStatus, Topic
from .dashboard import NO_STANCE, Record
from .selectors import compare_versions


class BadInput(Exception):
    """A query parameter the page cannot use: answered with a 400 page, never a 500."""


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


def with_record(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Parse `?as_of=` once and hand the view a `Record` (live, or as of that date)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            moment = parse_as_of(request.GET.get("as_of"))
        except ValidationError as error:
            return bad_request(request, f"Cannot show the record as of that date: {' '.join(error.messages)}")
        request.record = Record(moment)
        request.as_of_date = moment.date() if moment else None
        try:
            return view(request, request.record, *args, **kwargs)
        except BadInput as error:
            return bad_request(request, str(error))

    return wrapper


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BadInput(f"“{value}” is not a valid {name}: expected a number.")
    return int(value)


def version_from_request(request: HttpRequest, record: Record) -> Any:
    """The version named by `?version=`, or the one in focus by default."""
    return dashboard.version_in_focus(record, _int_param(request, "version"))


@with_record
def overview(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    context: dict[str, Any] = {"version": version, "versions": record.versions()}
    if version is not None:
        points = record.points(version)
        context.update(
            points=points,
            matrix=dashboard.stance_matrix(record, version, points),
            statuses=dashboard.status_counts(points),
            topics=dashboard.topic_counts(points),
            previous=dashboard.previous_version(record, version),
            claims=dashboard.version_claims(record, version),
        )
    context.update(
        changes=dashboard.describe_changes(record, record.changes(limit=8)),
        events=record.events()[:6],
    )
    return render(request, "provisions/overview.html", context)


class PointFilterForm(forms.Form):
    topic = forms.ChoiceField(choices=[("", "Any topic"), *Topic.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *ProvisionStatus.choices], required=False)
    territory = forms.ChoiceField(required=False)
    party = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    stance = forms.ChoiceField(
        choices=[("", "Any stance"), *Stance.choices, (NO_STANCE, "No recorded stance")], required=False
    )
    q = forms.CharField(required=False, max_length=200, label="Search")

    def __init__(self, *args: Any, territories: list, parties: list[tuple[str, list[Actor]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.territories = {t.slug: t for t in territories}
        self.parties = {p.pk: p for _label, members in parties for p in members}
        self.fields["territory"].choices = [("", "Any territory"), *((t.slug, t.name) for t in territories)]
        self.fields["party"].choices = [
            ("", "Any party"),
            *((label, [(p.pk, p.name) for p in members]) for label, members in parties),
        ]

    def filters(self) -> dashboard.PointFilters:
        data = self.cleaned_data
        return dashboard.PointFilters(
            topic=data["topic"],
            status=data["status"],
            territory=self.territories.get(data["territory"]),
            party=self.parties.get(data["party"]),
            stance=data["stance"],
            q=data["q"].strip(),
        )


@with_record
def provision_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    territories = record.territories()
    form = PointFilterForm(request.GET, territories=territories, parties=dashboard.actor_groups(record))
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        raise BadInput(f"These filters cannot be used: {problems}")
    context: dict[str, Any] = {"version": version, "versions": record.versions(), "form": form}
    if version is not None:
        points = record.points(version)
        filters = form.filters()
        # A party or person outside the matrix columns, when filtered on, gets a column of its own.
        parties = record.principal_parties()
        if filters.party is not None and filters.party not in parties:
            parties = [*parties, filters.party]
            context["extra_party"] = filters.party
        matrix = dashboard.stance_matrix(record, version, points, parties)
        context.update(matrix=matrix, rows=dashboard.filter_points(matrix, filters, territories), filters=filters)
    return render(request, "provisions/provision_list.html", context)


@with_record
def provision_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    detail = dashboard.point_detail(record, pk)
    return render(request, "provisions/provision_detail.html", {"detail": detail, "point": detail.point})


@with_record
def compare_picker(request: HttpRequest, record: Record) -> HttpResponse:
    """Pick two versions; with both chosen, go to their comparison."""
    old, new = _int_param(request, "a"), _int_param(request, "b")
    if old is not None and new is not None:
        url = reverse("provisions:version_compare", args=[old, new])
        if request.as_of_date:
            url += "?" + urlencode({"as_of": request.as_of_date.isoformat()})
        return redirect(url)
    versions = record.versions()
    focus = dashboard.version_in_focus(record)
    before = dashboard.previous_version(record, focus) if focus else None
    if before is None:
        before = next((v for v in versions if focus and v.pk != focus.pk), None)
    context = {"versions": versions, "old": before, "new": focus}
    return render(request, "provisions/compare_picker.html", context)


@with_record
def version_compare(request: HttpRequest, record: Record, a: int, b: int) -> HttpResponse:
    old, new = record.version(a), record.version(b)
    comparison = compare_versions(
        old,
        new,
        old_points=dashboard.comparison_points(record, old),
        new_points=dashboard.comparison_points(record, new),
    )
    context = {"comparison": comparison, "versions": record.versions(), "old": old, "new": new}
    return render(request, "provisions/version_compare.html", context)


@with_record
def territory_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    points = record.points(version) if version is not None else []
    rows = dashboard.territory_rows(record, points)
    context = {"version": version, "versions": record.versions(), "rows": rows}
    return render(request, "provisions/territory_list.html", context)


def _party(request: HttpRequest, record: Record) -> Actor | None:
    pk = _int_param(request, "party")
    if pk is None:
        return None
    party = record.actors().get(pk)
    if party is None:
        raise Http404("No such party.")
    return party


@with_record
def timeline(request: HttpRequest, record: Record) -> HttpResponse:
    party = _party(request, record)
    number = _int_param(request, "page")
    if number is not None and number < 1:
        raise BadInput(f"“{number}” is not a valid page: pages are numbered from 1.")
    page = dashboard.timeline_page(record, party=party, number=number or 1, size=dashboard.TIMELINE_PAGE)
    context = {
        "entries": page.entries,
        "page": page,
        "party": party,
        "party_groups": dashboard.actor_groups(record),
        "kinds": dashboard.TIMELINE_KINDS,
    }
    return render(request, "provisions/timeline.html", context)


@with_record
def convergence(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    context: dict[str, Any] = {"version": version, "versions": record.versions()}
    if version is not None:
        points = record.points(version)
        context["series"] = dashboard.convergence_series(record, version, points)
    return render(request, "provisions/convergence.html", context)


@with_record
def source_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    citations = dashboard.source_citations(record, pk)
    return render(request, "provisions/source_detail.html", {"citations": citations, "source": citations.source})
