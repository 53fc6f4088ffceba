"""Every API error is a 4xx with a JSON body naming the problem, never a 500 for bad input."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the record."
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it: fetch it again and reapply your change."
    default_code = "precondition_failed"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the model layer's errors turned into 400/409."""
    if isinstance(exc, DjangoValidationError):
        # full_clean() in the services: the same messages the admin shows.
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = ValidationError(detail)
    elif isinstance(exc, ProtectedError | RestrictedError):
        names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects if hasattr(obj, "_meta")})
        exc = Conflict(f"Still referenced by {', '.join(names) or 'other records'}: remove those references first.")
    elif isinstance(exc, IntegrityError):
        # A race lost against a constraint that validation had checked a moment earlier.
        exc = Conflict("The change clashes with another record (a constraint refused it); fetch and retry.")
    request = context.get("request")
    if getattr(getattr(request, "accepted_renderer", None), "format", None) == "csv":
        # Errors are JSON whatever the format asked for: a CSV would hide the message.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return exception_handler(exc, context)


@csrf_exempt  # it changes nothing; without this a token client's POST got Django's HTML CSRF 403
def api_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """A JSON 404, for every method, for any path under /api/ that names no endpoint."""
    return JsonResponse({"detail": "No such API endpoint: see /api/v1/ for the list."}, status=404)
