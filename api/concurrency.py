"""ETags and conditional requests: `If-None-Match` gives 304; a write (`PUT`, `PATCH`,
`DELETE`) needs `If-Match` (428 without it) and a stale one gives 412.

The ETag is a hash of the record's representation, so it changes whenever
anything the client sees changes (a point's ETag moves when a stance on it
does, though the point's own row did not). Fields built from the request's host
(a point's absolute dashboard `url`) are left out of the hash: a client reading
through one host name and writing through another must see the same ETag.

A `GET` with `If-None-Match` is answered before anything is built: each ETag served
is cached under the record, the request's query and the change log's latest entry
(`history.records.last_change`, one indexed query). While no write has been recorded
since, a matching tag gets its 304 from the cache; any write moves the key, so a stale
tag is never confirmed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from history.locking import WriteContention, run_write
from history.records import last_change

from .errors import PreconditionFailed
from .params import as_id


class PreconditionRequired(APIException):
    """428 (RFC 6585): a write without `If-Match` could silently overwrite another editor's change."""

    status_code = 428
    default_detail = "Send If-Match with the record's ETag (read it with a GET of the record)."
    default_code = "precondition_required"


class WriteBusy(APIException):
    """503: the write lost to concurrent writers on every retry; nothing was saved."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "write_contention"

    def __init__(self, contention: WriteContention) -> None:
        # DRF's exception handler turns `wait` into the Retry-After header.
        self.wait = contention.retry_after
        super().__init__(
            f"Other writes kept colliding with this one ({contention.reason}, {contention.attempts} attempts); "
            f"nothing was saved. Send it again in {contention.retry_after} s."
        )


def _written(write: Any) -> Any:
    """`write()` through `run_write` (change-log lock first, retried on deadlock), a 503 if it keeps losing."""
    try:
        return run_write(write)
    except WriteContention as contention:
        raise WriteBusy(contention) from contention


def etag_for(data: Any, *, host_dependent: Iterable[str] = ()) -> str:
    """A strong ETag: a hash of `data` without its `host_dependent` top-level fields."""
    if isinstance(data, dict) and host_dependent:
        data = {key: value for key, value in data.items() if key not in host_dependent}
    payload = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


T = TypeVar("T")

# Long enough to serve a client's polling; any write changes the key anyway.
ETAG_CACHE_SECONDS = 3600


def served_etag_key(view: Any, request: Request, change: tuple[int, str]) -> str:
    """Where the ETag a `GET` of this record (with this query) served is cached: under the
    latest recorded write (`history.records.last_change`), read before or with the
    representation, so the cached tag is never older than the write the key names."""
    change_id, changed_at = change
    lookup = view.kwargs.get(view.lookup_url_kwarg or view.lookup_field, "")
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.lists()))
    raw = f"{type(view).__module__}.{type(view).__name__}|{lookup}|{query}|{change_id}|{changed_at}"
    return "api-etag:" + hashlib.sha256(raw.encode()).hexdigest()


def until_next_write(view: Any, request: Request, name: str, compute: Callable[[], T]) -> T:
    """`compute()` for this view and query (paging aside), cached under the change log's
    latest entry like a served ETag: what a whole filtered result holds (how many rows, which
    columns a CSV has) cannot change while nothing is written. One indexed query when cached."""
    change_id, changed_at = last_change()  # before computing: the value is never older than the key
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.lists()) if k not in ("page", "page_size"))
    raw = f"{type(view).__module__}.{type(view).__name__}|{name}|{query}|{change_id}|{changed_at}"
    key = "api-result:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ETAG_CACHE_SECONDS)
    return value


def _etags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _matches_weakly(header: str, etag: str) -> bool:
    """If-None-Match: weak comparison (RFC 9110 13.1.2), `W/"x"` matches `"x"`."""
    tags = [tag.removeprefix("W/") for tag in _etags(header)]
    return "*" in tags or etag in tags


def _matches_strongly(header: str, etag: str) -> bool:
    """If-Match: strong comparison (RFC 9110 13.1.1), a weak tag never matches."""
    tags = _etags(header)
    return "*" in tags or etag in tags


def _changes_anything(instance: Any, validated_data: dict[str, Any]) -> bool:
    """Whether writing `validated_data` would change `instance` (an empty PATCH does not)."""
    many_to_many = {field.name for field in instance._meta.many_to_many}
    for name, value in validated_data.items():
        if name in many_to_many:
            held = {obj.pk for obj in getattr(instance, name).all()}
            if held != {getattr(obj, "pk", obj) for obj in value}:
                return True
        elif getattr(instance, name, None) != value:
            return True
    return False


class ConditionalModelMixin:
    """retrieve/update/destroy with ETags; writes take a row lock so the check and the
    write cannot be split by another editor's write.

    `etag_host_dependent_fields`: top-level fields whose value depends on the host
    the request came through, left out of the ETag.
    """

    etag_host_dependent_fields: tuple[str, ...] = ()

    def etag(self, data: Any) -> str:
        return etag_for(data, host_dependent=self.etag_host_dependent_fields)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:
            # Nothing recorded since this tag was served: 304 without building anything.
            served = cache.get(served_etag_key(self, request, last_change()))
            if served is not None and _matches_weakly(if_none_match, served):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": served})
        data, change = self.representation_and_change()
        etag = self.etag(data)
        cache.set(served_etag_key(self, request, change), etag, ETAG_CACHE_SECONDS)
        if if_none_match and _matches_weakly(if_none_match, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    def _require_if_match(self, request: Request) -> None:
        if request.headers.get("If-Match") is None:
            raise PreconditionRequired(
                f"{request.method} needs an If-Match header holding the record's current ETag, so that a "
                "change someone made since you read it is not overwritten: GET "
                f"{request.path} answers it in its ETag header; send it back as If-Match "
                '(e.g. If-Match: "3f2a…"). A stale one gives 412.'
            )

    def representation(self) -> Any:
        """What a `GET` of the record answers (a view may read it more cheaply, as long as
        it equals the serializer's output, which the write side's ETag is computed from)."""
        return self.get_serializer(self.get_object()).data

    def representation_and_change(self) -> tuple[Any, tuple[int, str]]:
        """The representation and the change log's latest entry it reflects (read first, so
        never newer than the representation). A view that reads both in one query (one
        snapshot) overrides this and spares a query."""
        change = last_change()
        return self.representation(), change

    def _locked_object(self, request: Request) -> Any:
        # Called inside `run_write`, after the change-log lock (the one lock order, see
        # history/locking.py). Then this row, and only it: `of=self` and no ordering, so a
        # point's lock never takes its version's row too. Another editor's write either
        # committed before (and the ETag check sees it) or waits until this one is done.
        pk = as_id(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")))
        if pk is not None:
            model = self.get_queryset().model
            list(model._default_manager.select_for_update(of=("self",)).filter(pk=pk).order_by().values_list("pk"))
        instance = self.get_object()
        current = self.etag(self.get_serializer(instance).data)
        if not _matches_strongly(request.headers.get("If-Match", ""), current):
            raise PreconditionFailed(
                f"The record changed since you read it (its ETag is now {current}): "
                "fetch it again and reapply your change."
            )
        return instance

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        self._require_if_match(request)

        def write() -> Any:
            instance = self._locked_object(request)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            # Nothing to change (an empty PATCH, the same values again): no write, so
            # no history row and no change-feed entry that changed nothing.
            if _changes_anything(instance, serializer.validated_data):
                serializer.save()
            return instance

        instance = _written(write)
        fresh = self.get_queryset().get(pk=instance.pk)
        data = self.get_serializer(fresh).data
        return Response(data, headers={"ETag": self.etag(data)})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_if_match(request)
        _written(lambda: self.perform_destroy(self._locked_object(request)))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # a 400 takes no lock

        def write() -> Any:
            serializer.instance = None  # a retry creates again (save() copies validated_data)
            return serializer.save()

        instance = _written(write)
        fresh = self.get_queryset().get(pk=instance.pk)
        data = self.get_serializer(fresh).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": self.etag(data)})
