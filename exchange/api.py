"""`/api/v1/webhooks/` (editors manage subscriptions) and `/api/v1/snapshots/` (read-only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse as api_reverse

from api.authentication import ThrottledTokenAuthentication
from api.filtering import StrictQueryParameters

from . import services
from .choices import SnapshotStatus, SnapshotTrigger, SubscriptionStatus, WebhookEvent
from .models import Snapshot, WebhookSubscription
from .views import snapshot_file_response


class EditorPermissions(permissions.DjangoModelPermissions):
    """Editors only, reads included (the Editors group holds these permissions)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def _read_only_status(choices: type) -> serializers.CharField:
    # A plain string in the schema: an enum here would collide with the records' own `status` enums.
    return serializers.CharField(read_only=True, help_text="One of: " + ", ".join(choices.values) + ".")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_kinds = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False)
    status = _read_only_status(SubscriptionStatus)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_kinds",
            "status",
            "failure_count",
            "paused_at",
            "paused_reason",
            "last_success_at",
            "created_at",
        ]
        read_only_fields = ["status", "failure_count", "paused_at", "paused_reason", "last_success_at", "created_at"]

    def create(self, validated_data: dict[str, Any]) -> WebhookSubscription:
        return services.webhook_subscription_create(**validated_data, user=self.context["request"].user)

    def update(self, instance: WebhookSubscription, validated_data: dict[str, Any]) -> WebhookSubscription:
        return services.webhook_subscription_update(subscription=instance, **validated_data)


class NewSecretSerializer(WebhookSubscriptionSerializer):
    """The answer to a creation or a secret rotation: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions (editors)"),
    create=extend_schema(
        summary="Subscribe a URL (the answer holds the signing secret, shown once)", responses=NewSecretSerializer
    ),
    retrieve=extend_schema(summary="One webhook subscription"),
    update=extend_schema(summary="Change a subscription's URL, description or kinds"),
    partial_update=extend_schema(summary="Change some of a subscription's fields"),
    destroy=extend_schema(summary="Delete a subscription"),
)
class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """POSTs signed with HMAC-SHA256: header `X-Accord-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>.<body>")>`,
    plus `X-Accord-Idempotency-Key` (the same on every retry of one change) and `X-Accord-Event`."""

    serializer_class = WebhookSubscriptionSerializer
    authentication_classes = [ThrottledTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, EditorPermissions]
    # Only the refusal of unknown query parameters: these lists take none of their own.
    filter_backends: list[Any] = [StrictQueryParameters]
    queryset = WebhookSubscription.objects.order_by("-created_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save()
        return Response(NewSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Resume a paused subscription and resend what it missed", request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        services.webhook_subscription_resume(subscription=subscription)
        return Response(self.get_serializer(subscription).data)

    @extend_schema(summary="Pause a subscription", request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        subscription = services.webhook_subscription_pause(
            subscription=self.get_object(), reason=f"Paused by {request.user} through the API."
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(summary="Generate a new signing secret (shown once)", request=None, responses=NewSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        services.webhook_subscription_rotate_secret(subscription=subscription)
        return Response(NewSecretSerializer(subscription).data)


class SnapshotSerializer(serializers.ModelSerializer):
    status = _read_only_status(SnapshotStatus)
    trigger = _read_only_status(SnapshotTrigger)
    download_url = serializers.SerializerMethodField()
    total_records = serializers.IntegerField(read_only=True)

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "status",
            "trigger",
            "made_at",
            "sha256",
            "size_bytes",
            "total_records",
            "record_counts",
            "download_url",
            "created_at",
        ]

    def get_download_url(self, snapshot: Snapshot) -> str | None:
        """The API's own download (token or session), not the HTML page's link."""
        if not snapshot.file or snapshot.status != SnapshotStatus.READY:
            return None
        return api_reverse("api:snapshots-download", args=[snapshot.pk], request=self.context["request"])


@extend_schema_view(
    list=extend_schema(summary="List snapshots of the whole dataset (editors)"),
    retrieve=extend_schema(summary="One snapshot, with its SHA-256 and download URL"),
)
class SnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SnapshotSerializer
    authentication_classes = [ThrottledTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, EditorPermissions]
    # Only the refusal of unknown query parameters: these lists take none of their own.
    filter_backends: list[Any] = [StrictQueryParameters]

    def get_queryset(self) -> QuerySet:
        return Snapshot.objects.order_by("-created_at", "-id")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers a zip whatever the client accepts (curl, `Accept: application/zip`).
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        summary="Download the snapshot's zip (its SHA-256 in the X-Checksum-SHA256 header)",
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        snapshot = self.get_object()
        if snapshot.status != SnapshotStatus.READY:
            raise NotFound("This snapshot is not ready.")
        return snapshot_file_response(snapshot)
