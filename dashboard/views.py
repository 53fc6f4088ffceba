"""The analysts' dashboard: thin views that gather context from `dashboard.selectors`.

Every page takes `?as_of=YYYY-MM-DD` (see `with_record`): it then shows the record
as it stood at the end of that day.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from actors.choices import Stance
from actors.models import Actor
from actors.stances import NO_STANCE
from api.params import BadParameter, as_id, parse_as_of, parse_int
from provisions.choices import Disposition, ProvisionStatus, Topic
from provisions.models import Version
from provisions.points import PointFilter
from provisions.selectors import compare_versions, in_date_order

from .record import Record
from .selectors.changes import describe_changes
from .selectors.convergence import convergence_series, draft_to_draft
from .selectors.matrix import STANCE_LETTERS, stance_matrix
from .selectors.parties import actor_groups, actor_profile, party_summaries
from .selectors.points import (
    comparison_points,
    default_comparison,
    filter_points,
    point_detail,
    previous_version,
    read_overview_ahead,
    status_counts,
    topic_counts,
    version_claims,
    version_in_focus,
)
from .selectors.sources import source_citations
from .selectors.territories import territory_rows
from .selectors.timeline import TIMELINE_KINDS, TIMELINE_PAGE, timeline_page


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
        except BadParameter as error:
            return bad_request(request, f"Cannot show the record as of that date: {error.message_text}")
        request.record = Record(moment)
        request.as_of_date = moment.date() if moment else None
        try:
            return view(request, request.record, *args, **kwargs)
        except BadInput as error:
            return bad_request(request, str(error))
        except BadParameter as error:
            return bad_request(request, error.message_text)

    return wrapper


# Far beyond any record (a million pages); a larger page number is a 400: the rows to skip
# must stay a number the database can count.
MAX_PAGE = 1_000_000


def _page_number(request: HttpRequest) -> int:
    """`?page=N` of a paged dashboard list (the timeline, convergence, a source), 1 if absent."""
    return _int_param(request, "page", minimum=1, maximum=MAX_PAGE) or 1


def _int_param(request: HttpRequest, name: str, minimum: int = 0, maximum: int | None = None) -> int | None:
    return parse_int(request.GET.get(name), name, minimum=minimum, maximum=maximum)


def version_from_request(request: HttpRequest, record: Record) -> Any:
    """The version named by `?version=`, or the one in focus by default."""
    return version_in_focus(record, _int_param(request, "version"))


# The overview's "recent events".
OVERVIEW_EVENTS = 6


@with_record
def overview(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    context: dict[str, Any] = {"version": version, "versions": record.versions()}
    if version is not None:
        read_overview_ahead(record, version, events=OVERVIEW_EVENTS)
        points = record.points(version)
        context.update(
            points=points,
            matrix=stance_matrix(record, version, points),
            statuses=status_counts(points),
            topics=topic_counts(points),
            previous=previous_version(record, version),
            claims=version_claims(record, version),
        )
    else:
        context["plans"] = record.plans()  # plans may be on record before any of their versions
    context.update(
        changes=describe_changes(record, record.changes(limit=8)),
        events=record.events(limit=OVERVIEW_EVENTS, with_actors=False),  # the overview names no event's actors
        cut_off=record.cut_off(),
    )
    return render(request, "provisions/overview.html", context)


class PointFilterForm(forms.Form):
    """The points list's filters. Territory and party take an id or a slug, as in the API;
    the filter itself is `provisions.points.PointFilter`, the API's too."""

    topic = forms.ChoiceField(choices=[("", "Any topic"), *Topic.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *ProvisionStatus.choices], required=False)
    territory = forms.CharField(required=False)
    disposition = forms.ChoiceField(choices=[("", "Any disposition"), *Disposition.choices], required=False)
    party = forms.CharField(required=False)
    stance = forms.ChoiceField(
        choices=[("", "Any stance"), *Stance.choices, (NO_STANCE, "No recorded stance")], required=False
    )
    q = forms.CharField(required=False, max_length=200, label="Search")
    attributed = forms.BooleanField(required=False, label="Count attributed stances")

    def __init__(self, *args: Any, territories: list, parties: list[tuple[str, list[Actor]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.territories = territories
        self.parties = [p for _label, members in parties for p in members]
        self.fields["territory"].widget = forms.Select(
            choices=[("", "Any territory"), *((t.slug, t.name) for t in territories)]
        )
        self.fields["party"].widget = forms.Select(
            choices=[("", "Any party"), *((label, [(p.pk, p.name) for p in members]) for label, members in parties)]
        )

    def clean_territory(self) -> Any:
        return _pick(self.cleaned_data["territory"], self.territories, "territory")

    def clean_party(self) -> Any:
        return _pick(self.cleaned_data["party"], self.parties, "party")

    def point_filter(self, *, columns: list[Actor]) -> PointFilter:
        data = self.cleaned_data
        return PointFilter(
            topic=data["topic"],
            status=data["status"],
            territory=data["territory"],
            disposition=data["disposition"],
            party=data["party"],
            stance=data["stance"],
            text=data["q"].strip(),
            attributed=bool(data.get("attributed")),
            columns=tuple(columns),
            territory_tree=tuple(self.territories),
        )


def _pick(value: str, records: list[Any], name: str) -> Any:
    """The record on the page whose id or slug is `value` (ids read by `api.params`, as in the API)."""
    if not value.strip():
        return None
    pk = as_id(value)
    for item in records:
        if item.pk == pk or item.slug == value.strip():
            return item
    raise forms.ValidationError(f"“{value}” is not on record as a {name}.")


@with_record
def provision_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    territories = record.territory_tree()  # the filter needs names and parts, not control figures
    form = PointFilterForm(request.GET, territories=territories, parties=actor_groups(record))
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        raise BadInput(f"These filters cannot be used: {problems}")
    context: dict[str, Any] = {"version": version, "versions": record.versions(), "form": form}
    if version is not None:
        points = record.points(version)
        filters = form.point_filter(columns=record.principal_parties())
        # A party or person outside the matrix columns, when filtered on, gets a column of its own.
        parties = record.principal_parties()
        if filters.party is not None and filters.party not in parties:
            parties = [*parties, filters.party]
            context["extra_party"] = filters.party
        matrix = stance_matrix(record, version, points, parties)
        context.update(matrix=matrix, rows=filter_points(matrix, filters), filters=filters)
    return render(request, "provisions/provision_list.html", context)


@with_record
def provision_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    detail = point_detail(record, pk)
    return render(request, "provisions/provision_detail.html", {"detail": detail, "point": detail.point})


@with_record
def compare_picker(request: HttpRequest, record: Record) -> HttpResponse:
    """Pick two versions; with both chosen, go to their comparison (older first, whichever was picked first)."""
    a, b = _int_param(request, "a"), _int_param(request, "b")
    if a is not None and b is not None:
        return _to_comparison(request, *in_date_order(record.version(a), record.version(b)))
    pair = default_comparison(record)
    old, new = pair if pair else (None, None)
    context = {"versions": record.versions(), "old": old, "new": new}
    return render(request, "provisions/compare_picker.html", context)


@with_record
def version_compare(request: HttpRequest, record: Record, a: int, b: int) -> HttpResponse:
    old, new = in_date_order(record.version(a), record.version(b))
    if (old.pk, new.pk) != (a, b):
        # Asked newer first: the comparison always runs from the older text, as the API's does.
        return _to_comparison(request, old, new)
    comparison = compare_versions(
        old,
        new,
        old_points=comparison_points(record, old),
        new_points=comparison_points(record, new),
    )
    context = {"comparison": comparison, "versions": record.versions(), "old": old, "new": new}
    return render(request, "provisions/version_compare.html", context)


def _to_comparison(request: HttpRequest, old: Version, new: Version) -> HttpResponse:
    url = reverse("provisions:version_compare", args=[old.pk, new.pk])
    if request.as_of_date:
        url += "?" + urlencode({"as_of": request.as_of_date.isoformat()})
    return redirect(url)


@with_record
def territory_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    rows = territory_rows(record, record.dispositions(version) if version is not None else [])
    context = {"version": version, "versions": record.versions(), "rows": rows}
    return render(request, "provisions/territory_list.html", context)


def _party(request: HttpRequest, record: Record) -> Actor | None:
    """`?party=` (id or slug); 404 if no such party is on record."""
    try:
        return _pick(request.GET.get("party", ""), list(record.actors().values()), "party")
    except forms.ValidationError:
        raise Http404("No such party.") from None


@with_record
def timeline(request: HttpRequest, record: Record) -> HttpResponse:
    party = _party(request, record)
    page = timeline_page(record, party=party, number=_page_number(request), size=TIMELINE_PAGE)
    context = {
        "entries": page.entries,
        "page": page,
        "party": party,
        "party_groups": actor_groups(record),
        "kinds": TIMELINE_KINDS,
    }
    return render(request, "provisions/timeline.html", context)


class ConvergenceForm(forms.Form):
    """`?attributed=1`: count stances attributed to a party by others too, as on the points list."""

    attributed = forms.BooleanField(required=False, label="Count attributed stances")


@with_record
def convergence(request: HttpRequest, record: Record) -> HttpResponse:
    form = ConvergenceForm(request.GET)
    form.is_valid()  # a checkbox: anything but a false value means "on"
    attributed = bool(form.cleaned_data.get("attributed"))
    version = version_from_request(request, record)
    context: dict[str, Any] = {"version": version, "versions": record.versions(), "attributed": attributed}
    if version is not None:
        points = record.bare_points(version)  # the series counts points, it does not show them
        context["series"] = convergence_series(record, version, points, attributed=attributed)
    # `?page=2`: the versions before the newest page's, and so on (each page in date order).
    tables = draft_to_draft(record, number=_page_number(request), attributed=attributed)
    context.update(acceptance=tables.acceptance, across=tables.across, versions_page=tables.page)
    return render(request, "provisions/convergence.html", context)


@with_record
def source_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    # `?page=2`: the next 50 of each kind citing the source (each kind newest first).
    citations = source_citations(record, pk, number=_page_number(request))
    return render(request, "provisions/source_detail.html", {"citations": citations, "source": citations.source})


# --- Parties and people (`/actors/`) -------------------------------------------------------


@with_record
def actor_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    summaries = party_summaries(record, version)
    context = {
        "version": version,
        "versions": record.versions(),
        "principal": [s for s in summaries if s.actor.is_principal],
        "others": [s for s in summaries if not s.actor.is_principal and s.actor.represents_id is None],
        "people": [s for s in summaries if s.actor.represents_id is not None],
        "stances": STANCE_LETTERS,
    }
    return render(request, "actors/actor_list.html", context)


@with_record
def actor_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    actor = record.actors().get(pk)
    if actor is None:
        raise Http404("No such party or person on record.")
    version = version_from_request(request, record)
    profile = actor_profile(record, actor, version)
    return render(
        request,
        "actors/actor_detail.html",
        {"actor": actor, "profile": profile, "version": version, "versions": record.versions()},
    )
