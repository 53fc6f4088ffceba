"""ETags and conditional requests: `If-None-Match` gives 304, a stale `If-Match` gives 412.

The ETag is a hash of the record's representation, so it changes whenever
anything the client sees changes (a point's ETag moves when a stance on it
does, though the point's own row did not).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import PreconditionFailed
from .filtering import as_id


def etag_for(data: Any) -> str:
    payload = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def _etags(header: str) -> list[str]:
    # Weak and strong forms compare equal here: the representation hash is exact either way.
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _matches(header: str, etag: str) -> bool:
    tags = _etags(header)
    return "*" in tags or etag in tags


class ConditionalModelMixin:
    """retrieve/update/destroy with ETags; writes take a row lock so the check and the
    write cannot be split by another editor's write."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(self.get_object()).data
        etag = etag_for(data)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and _matches(if_none_match, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    def _locked_object(self, request: Request) -> Any:
        # Lock the row first (PostgreSQL), then read it: another editor's write either
        # committed before (and the ETag check sees it) or waits until this one is done.
        pk = as_id(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")))
        if pk is not None:
            list(self.get_queryset().model._default_manager.select_for_update().filter(pk=pk).values_list("pk"))
        instance = self.get_object()
        if_match = request.headers.get("If-Match")
        if if_match is not None:
            current = etag_for(self.get_serializer(instance).data)
            if not _matches(if_match, current):
                raise PreconditionFailed(
                    f"The record changed since you read it (its ETag is now {current}): "
                    "fetch it again and reapply your change."
                )
        return instance

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self._locked_object(request)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            serializer.save()
        fresh = self.get_queryset().get(pk=instance.pk)
        data = self.get_serializer(fresh).data
        return Response(data, headers={"ETag": etag_for(data)})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self._locked_object(request)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        fresh = self.get_queryset().get(pk=instance.pk)
        data = self.get_serializer(fresh).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(data)})
