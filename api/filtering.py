"""Filter backends shared by every API resource: full-text search and strict ordering.

Both refuse what they cannot honour (unknown ordering field, NUL characters) with
a 400 naming the parameter, rather than silently ignoring it.
"""

from __future__ import annotations

from functools import reduce
from operator import and_, or_
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import Model, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from .params import resolve_id_or_slug
from .search_syntax import Term, parse

SEARCH_PARAM = "search"
ORDERING_PARAM = "ordering"


def query_text(request: Any, name: str) -> str:
    """A query-string value, stripped; NUL characters are refused (the database would choke on them)."""
    value = request.query_params.get(name, "").strip()
    if "\x00" in value:
        raise ValidationError({name: ["Null characters are not allowed."]})
    return value


FORMAT_PARAM = "format"
AS_OF_PARAM = "as_of"  # (api.as_of imports this module: the name is repeated, not imported)
LIST_ACTIONS = frozenset({"list"})


def accepted_parameters(view: Any) -> set[str]:
    """The query parameters `view` answers to for its current action: `format` always, `as_of`
    where the view reads history; on a list, its filterset's fields, `search` and `ordering`
    where it has fields for them, the paginator's parameters; and any it documents itself
    (`extra_query_parameters`). The schema documents the same ones."""
    accepted = {FORMAT_PARAM, *getattr(view, "extra_query_parameters", ())}
    if hasattr(view, "list_as_of"):
        accepted.add(AS_OF_PARAM)
    if getattr(view, "action", "list") in LIST_ACTIONS:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            accepted.update(filterset_class.base_filters)
        if getattr(view, "search_fields", None):
            accepted.add(SEARCH_PARAM)
        if getattr(view, "ordering_fields", None):
            accepted.add(ORDERING_PARAM)
        paginator = getattr(view, "paginator", None)
        for name in ("page_query_param", "page_size_query_param"):
            if getattr(paginator, name, None):
                accepted.add(getattr(paginator, name))
    return accepted


def refuse_unknown_parameters(request: Any, accepted: set[str] | frozenset[str]) -> None:
    """A 400 naming each query parameter not in `accepted` and listing the valid ones: a
    misspelt filter (`is_principl=true`) must not silently return everything."""
    unknown = [name for name in request.query_params if name not in accepted]
    if unknown:
        valid = ", ".join(sorted(accepted))
        raise ValidationError({name: [f"Unknown parameter “{name}”: this endpoint takes {valid}."] for name in unknown})


class StrictQueryParameters(BaseFilterBackend):
    """First of every view's filter backends: refuses unknown query parameters
    (`accepted_parameters`). Views without filter backends call
    `refuse_unknown_parameters` themselves."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        refuse_unknown_parameters(request, accepted_parameters(view))
        return queryset


SEARCH_SYNTAX = (
    'Web-search syntax, the same on PostgreSQL and SQLite: every word must appear; "quoted words" '
    'as a phrase; `or` between terms for either; `-word` or `-"a phrase"` to exclude. '
)


class TextSearchFilter(BaseFilterBackend):
    """`?search=` over the view's `search_fields`, in web-search syntax (`api.search_syntax`).

    PostgreSQL: full-text search (English stemming). Other databases: each term a
    case-insensitive substring of one of the fields, combined as the query says. A view
    with its own search rule (the points: `provisions.points.PointFilter`) defines
    `search_queryset(queryset, text)`."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        fields = getattr(view, "search_fields", None)
        text = query_text(request, SEARCH_PARAM)
        if not fields or not text:
            return queryset
        own_rule = getattr(view, "search_queryset", None)
        if own_rule is not None:
            return own_rule(queryset, text)
        return search_queryset(queryset, fields, text)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = getattr(view, "search_fields", None)
        if not fields:
            return []
        described = getattr(view, "search_description", None) or f"Search in {', '.join(fields)}"
        return [
            {
                "name": SEARCH_PARAM,
                "required": False,
                "in": "query",
                "description": f"{described}. {SEARCH_SYNTAX}PostgreSQL stems English words (`guarantee` "
                "finds `guarantees`) and ignores common words (`the`, `of`); SQLite matches parts of words. "
                "A query with no word in it matches nothing.",
                "schema": {"type": "string"},
            }
        ]


def search_queryset(queryset: QuerySet, fields: list[str] | tuple[str, ...], text: str) -> QuerySet:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*fields, config="english")
        query = SearchQuery(text, search_type="websearch", config="english")
        return queryset.annotate(api_search=vector).filter(api_search=query)
    alternatives = [
        reduce(and_, (_contains_term(term, fields) for term in terms)) for terms in parse(text).alternatives
    ]
    return queryset.filter(reduce(or_, alternatives)) if alternatives else queryset.none()


def _contains_term(term: Term, fields: list[str] | tuple[str, ...]) -> Q:
    phrase = " ".join(term.words)
    found = reduce(or_, (Q(**{f"{name}__icontains": phrase}) for name in fields))
    return ~found if term.excluded else found


def matches_text(obj: Model, fields: list[str] | tuple[str, ...], text: str) -> bool:
    """The search over a record in memory (lists read from history, "as of" a date): the same
    syntax, each term a case-insensitive part of a field's words (no stemming)."""
    return parse(text).matches((str(getattr(obj, name, "") or "") for name in fields), stemmed=False)


def _value_at(obj: Any, path: str) -> Any:
    """`obj.a.b` for the ordering field `a__b` (None where a link is missing)."""
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def sort_objects(items: list[Any], terms: list[str]) -> list[Any]:
    """`items` sorted by `ordering_terms` in Python, for lists built from history
    ("as of" lists): the same order the database gives, nulls last ascending and
    first descending as on PostgreSQL. Related fields must already be attached."""
    ordered = list(items)
    for term in reversed(terms):
        path = term.removeprefix("-")

        def key(obj: Any, path: str = path) -> tuple[bool, Any]:
            value = _value_at(obj, path)
            return (value is None, value)

        ordered.sort(key=key, reverse=term.startswith("-"))
    return ordered


class StrictOrderingFilter(BaseFilterBackend):
    """`?ordering=a,-b` over the view's `ordering_fields`, a dict of public name ->
    model fields (so `number` can sort by the point's sort key). Unknown names: 400."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        terms = ordering_terms(request, view)
        if not terms:
            return queryset
        return queryset.order_by(*terms)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        allowed = getattr(view, "ordering_fields", None)
        if not allowed:
            return []
        names = sorted(allowed)
        return [
            {
                "name": ORDERING_PARAM,
                "required": False,
                "in": "query",
                "description": "Sort by these fields, comma-separated; a leading `-` sorts descending. "
                f"Fields: {', '.join(names)}.",
                "style": "form",
                "explode": False,
                "schema": {"type": "array", "items": {"type": "string", "enum": [*names, *(f"-{n}" for n in names)]}},
            }
        ]


def ordering_terms(request: Any, view: Any) -> list[str]:
    """Model order_by() terms for the request's `ordering`, validated against the view."""
    allowed: dict[str, tuple[str, ...]] = getattr(view, "ordering_fields", None) or {}
    raw = query_text(request, ORDERING_PARAM)
    if not raw or not allowed:
        return []
    terms: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        name = item.removeprefix("-")
        if name not in allowed:
            raise ValidationError(
                {ORDERING_PARAM: [f"Cannot sort by “{name}”: choose from {', '.join(sorted(allowed))}."]}
            )
        prefix = "-" if item.startswith("-") else ""
        terms += [f"{prefix}{field}" for field in allowed[name]]
    # A stable tiebreak, so paging through a sorted list never skips or repeats a row.
    return [*terms, "id"]


class StrictBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`, any case); empty means "not given"; anything else is refused.

    Django's NullBooleanField reads an unknown value as "not given", which would turn
    `?current=maybe` into an unfiltered list."""

    widget = forms.TextInput
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in self._VALUES:
            raise forms.ValidationError(f"“{value}” is not a boolean: use true or false.", code="invalid")
        return self._VALUES[text]


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean filter that gives a 400 naming the parameter for anything but true/false."""

    field_class = StrictBooleanField


def date_range(field_name: str, what: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """`<name>_after` and `<name>_before` (inclusive) as two filters, so a malformed date is
    a 400 naming the parameter actually sent (a range filter would name `<name>`)."""
    return (
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="gte", help_text=f"{what} on or after this day (YYYY-MM-DD)."
        ),
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="lte", help_text=f"{what} on or before this day (YYYY-MM-DD)."
        ),
    )


class IdOrSlugFilter(django_filters.CharFilter):
    """Accepts a record's id or its slug; an unknown one is a 400, not an empty list."""

    def __init__(self, *args: Any, model: type[Model], lookup: str, **kwargs: Any) -> None:
        self.target_model = model
        self.target_lookup = lookup
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in (None, ""):
            return qs
        target = resolve_id_or_slug(self.target_model, value, self.field_name)
        # A subquery rather than a join + distinct(): one row per record, whatever it matches.
        matching = qs.model._default_manager.filter(**{self.target_lookup: target})
        return qs.filter(pk__in=matching.values("pk"))
