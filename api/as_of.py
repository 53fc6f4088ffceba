"""`?as_of=YYYY-MM-DD` on list and detail endpoints: the record as it stood at the
end of that day (UTC), read from history through each app's `as_of` module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from .filtering import (
    SEARCH_PARAM,
    accepted_parameters,
    matches_text,
    ordering_terms,
    query_text,
    refuse_unknown_parameters,
    sort_objects,
)
from .params import BadParameter, as_id, parse_as_of

AS_OF_PARAM = "as_of"
AS_OF_DESCRIPTION = (
    "Read the record as it stood at the end of this day (UTC), from history: YYYY-MM-DD, not in the future. "
    "Combines with the filters, `ordering` and `search` (with `as_of`, `search` takes the same syntax, its terms "
    "matched case-insensitively as parts of words, without stemming)."
)


def as_of_moment(request: Request) -> datetime | None:
    """The parsed `as_of` of the request (cached on it); 400 naming the parameter if malformed."""
    if not hasattr(request, "_api_as_of"):
        try:
            request._api_as_of = parse_as_of(query_text(request, AS_OF_PARAM) or None, AS_OF_PARAM)
        except BadParameter as error:
            raise ValidationError(error.message_dict) from None
    return request._api_as_of


class AsOfMixin:
    """Adds `as_of` to a viewset's list and retrieve.

    The view implements `list_as_of(moment, filters)` (filters: the FilterSet's
    validated values) and `object_as_of(moment, pk)`; both return instances
    shaped like the live ones, so the same serializer renders them.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if AS_OF_PARAM not in request.query_params:
            return
        if request.method not in SAFE_METHODS:
            raise ValidationError({AS_OF_PARAM: ["as_of is for reading; leave it out when writing."]})
        as_of_moment(request)  # a malformed date is a 400 before anything else

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        moment = as_of_moment(request)
        if moment is None:
            return super().list(request, *args, **kwargs)
        refuse_unknown_parameters(request, accepted_parameters(self))  # (no filter backend runs here)
        items = self.list_as_of(moment, self.validated_filters())
        # The live list's `search` and `ordering`, applied to the rows read from history.
        text = query_text(request, SEARCH_PARAM)
        fields = getattr(self, "search_fields", None)
        if text and fields:
            items = [item for item in items if matches_text(item, fields, text)]
        terms = ordering_terms(request, self)
        if terms:
            items = sort_objects(items, terms)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> Any:
        moment = as_of_moment(self.request)
        if moment is None:
            return super().get_object()
        refuse_unknown_parameters(self.request, accepted_parameters(self))
        raw = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        pk = as_id(raw)
        instance = self.object_as_of(moment, pk) if pk is not None else None
        if instance is None:
            raise NotFound(f"No such record on {moment.date().isoformat()}.")
        self.check_object_permissions(self.request, instance)
        return instance

    def validated_filters(self) -> dict[str, Any]:
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is None:
            return {}
        filterset = filterset_class(
            self.request.query_params, queryset=self.get_queryset().none(), request=self.request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "", [])}

    def list_as_of(self, moment: datetime, filters: dict[str, Any]) -> list[Any]:
        raise NotImplementedError

    def object_as_of(self, moment: datetime, pk: int) -> Any:
        raise NotImplementedError
