"""The editors' admin for imports, webhook subscriptions and their deliveries, snapshots."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from . import reviewing, services
from .choices import JobStatus, SnapshotStatus, SubscriptionStatus
from .forms import ImportJobForm, ImportReviewForm, WebhookSubscriptionForm
from .models import DeliveryAttempt, ImportJob, Snapshot, WebhookDelivery, WebhookSubscription
from .queueing import QUEUE_FAILED_MESSAGE


def _status_badge(code: str, label: str, bad: set[str], good: set[str]) -> SafeString:
    colour = "#ba2121" if code in bad else "#1f7a1f" if code in good else "#555"
    return format_html('<strong style="color:{}">{}</strong>', colour, label)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """“Add import job” is the import page: paste or upload, pick plan, label, date, revises."""

    form = ImportJobForm
    list_display = ["label", "plan", "status_badge", "progress_display", "version_link", "created_by", "created_at"]
    list_filter = ["status", "plan"]
    list_select_related = ["plan", "version", "created_by"]
    search_fields = ["label", "source_name"]
    autocomplete_fields = ["plan", "revises"]
    actions = ["publish_selected"]
    add_fieldsets = [
        (None, {"fields": ["plan", "label", "dated", "revises", "text_basis"]}),
        ("The draft", {"fields": ["text", "upload"]}),
    ]
    change_fieldsets = [
        ("Progress", {"fields": ["status_badge", "progress_display", "stage", "error"]}),
        ("Result", {"fields": ["version_link", "report_display"]}),
        (
            "Request",
            {"fields": ["plan", "label", "dated", "revises", "text_basis", "source_name", "created_by", "created_at"]},
        ),
        ("Published", {"fields": ["published_at", "published_by"]}),
        ("Text", {"classes": ["collapse"], "fields": ["text"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: ImportJob | None = None) -> list:
        return self.change_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: ImportJob | None = None) -> list[str]:
        if obj is None:
            return []
        return [field for _, options in self.change_fieldsets for field in options["fields"]]

    def get_form(self, request: HttpRequest, obj: ImportJob | None = None, change: bool = False, **kwargs: Any):
        if obj is not None:
            kwargs["form"] = admin.ModelAdmin.form  # read-only page: no import form
        return super().get_form(request, obj, change, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        # Deleting a job never deletes its version; keep the record of who imported what.
        return request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: ImportJob, form: ImportJobForm, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        job = services.import_job_submit(
            plan=data["plan"],
            label=data["label"],
            dated=data["dated"],
            text=data["text"],
            revises=data.get("revises"),
            text_basis=data["text_basis"],
            source_name=data.get("source_name", ""),
            user=request.user,
        )
        obj.pk = job.pk
        obj.status = job.status

        def tell_the_editor() -> None:  # runs after the enqueue attempt (callbacks run in order)
            if ImportJob.objects.filter(pk=job.pk, status=JobStatus.NOT_QUEUED).exists():
                messages.error(request, QUEUE_FAILED_MESSAGE)
            else:
                messages.info(request, "Import queued: this page shows its progress.")

        transaction.on_commit(tell_the_editor)

    def response_add(self, request: HttpRequest, obj: ImportJob, post_url_continue: str | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:exchange_importjob_change", args=[obj.pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if job is not None:
            extra_context["refresh"] = not job.is_finished
            extra_context["can_publish"] = job.status == JobStatus.IMPORTED and self.has_change_permission(request, job)
            extra_context["can_review"] = extra_context["can_publish"] and self._may_review(request, job)
            extra_context["title"] = str(job)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list:
        return [
            path(
                "<int:job_id>/publish/",
                self.admin_site.admin_view(require_POST(self.publish_view)),
                name="exchange_importjob_publish",
            ),
            path(
                "<int:job_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="exchange_importjob_review",
            ),
            *super().get_urls(),
        ]

    def _may_review(self, request: HttpRequest, job: ImportJob) -> bool:
        return self.has_change_permission(request, job) and request.user.has_perms(
            ["provisions.change_lineage", "provisions.delete_lineage"]
        )

    def review_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """The old and the new version side by side, link by link: accept, reject, re-point."""
        job = get_object_or_404(ImportJob.objects.select_related("version", "revises", "plan"), pk=job_id)
        if not self._may_review(request, job):
            raise PermissionDenied
        if job.version_id is None:
            self.message_user(request, "This import created no version to review.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:exchange_importjob_change", args=[job.pk]))
        review = reviewing.import_review(job)
        form = ImportReviewForm(request.POST or None, review=review)
        if request.method == "POST" and form.is_valid():
            accept_above = form.cleaned_data["threshold"] if "accept_above" in request.POST else None
            if "accept_above" in request.POST and accept_above is None:
                form.add_error("threshold", "Give the score from which to accept links (0 to 1).")
            else:
                try:
                    counts = reviewing.import_job_review(
                        job=job, decisions=form.decisions(), accept_above=accept_above, user=request.user
                    )
                except ValidationError as error:
                    form.add_error(None, services.one_line(error))
                else:
                    self.message_user(
                        request,
                        f"Accepted {counts['accepted']}, rejected {counts['rejected']}, "
                        f"re-pointed {counts['repointed']} link(s); accepted links are now confirmed lineage.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:exchange_importjob_review", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Review “{job.label}”",
            "job": job,
            "review": review,
            "form": form,
            "editable": job.status == JobStatus.IMPORTED,
        }
        return TemplateResponse(request, "admin/exchange/importjob/review.html", context)

    def publish_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = get_object_or_404(ImportJob, pk=job_id)
        if not self.has_change_permission(request, job):
            raise PermissionDenied
        self._publish(request, [job])
        return HttpResponseRedirect(reverse("admin:exchange_importjob_change", args=[job.pk]))

    @admin.action(
        description="Publish selected imports (confirm their remaining proposed links)", permissions=["change"]
    )
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._publish(request, list(queryset))

    def _publish(self, request: HttpRequest, jobs: list[ImportJob]) -> None:
        for job in jobs:
            try:
                confirmed = services.import_job_publish(job=job, user=request.user)
            except ValidationError as error:
                self.message_user(request, f"“{job.label}”: {' '.join(error.messages)}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"“{job.label}” published; {confirmed} proposed link(s) confirmed as they stand.",
                messages.SUCCESS,
            )

    @admin.display(description="status", ordering="status")
    def status_badge(self, job: ImportJob) -> SafeString:
        return _status_badge(
            job.status,
            job.get_status_display(),
            bad={JobStatus.FAILED, JobStatus.NOT_QUEUED},
            good={JobStatus.IMPORTED, JobStatus.PUBLISHED},
        )

    @admin.display(description="progress")
    def progress_display(self, job: ImportJob) -> SafeString:
        return format_html('<progress max="100" value="{}"></progress> {} %', job.progress, job.progress)

    @admin.display(description="version")
    def version_link(self, job: ImportJob) -> SafeString | str:
        if not job.version_id:
            return "—"
        url = reverse("admin:provisions_version_change", args=[job.version_id])
        return format_html('<a href="{}">{}</a>', url, job.version.label)

    @admin.display(description="what was found")
    def report_display(self, job: ImportJob) -> SafeString | str:
        if not job.report:
            return "—"
        review_url = reverse("admin:exchange_importjob_review", args=[job.pk]) if job.version_id else ""
        return render_to_string(
            "admin/exchange/importjob/_report.html", {"job": job, "report": job.report, "review_url": review_url}
        )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "attempted_at", "succeeded", "response_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every delivery and each of its attempts, read-only."""

    list_display = ["created_at", "event", "change_id", "subscription", "status_badge", "attempts", "last_code"]
    list_filter = ["status", "event", "subscription"]
    list_select_related = ["subscription"]
    readonly_fields = [
        "subscription",
        "change",
        "event",
        "idempotency_key",
        "status",
        "attempts",
        "last_attempt_at",
        "delivered_at",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [DeliveryAttemptInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        last = DeliveryAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-number")
        return super().get_queryset(request).annotate(last_response=Subquery(last.values("response_code")[:1]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="status", ordering="status")
    def status_badge(self, delivery: WebhookDelivery) -> SafeString:
        return _status_badge(
            delivery.status, delivery.get_status_display(), bad={"failed", "skipped", "retrying"}, good={"delivered"}
        )

    @admin.display(description="last response")
    def last_code(self, delivery: WebhookDelivery) -> str:
        return str(delivery.last_response or "—")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["url", "description", "kinds", "status_badge", "failure_count", "last_success_at", "deliveries"]
    list_filter = ["status"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "status_badge",
        "failure_count",
        "paused_at",
        "paused_reason",
        "last_success_at",
        "secret_hint",
        "created_by",
        "created_at",
        "deliveries",
    ]
    actions = ["resume_selected", "pause_selected", "rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: WebhookSubscription | None = None) -> list[str]:
        fields = ["url", "description", "event_kinds"]
        return fields + self.readonly_fields if obj else fields

    def get_readonly_fields(self, request: HttpRequest, obj: WebhookSubscription | None = None) -> list[str]:
        return self.readonly_fields if obj else []

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        if change:
            fields = {name: getattr(obj, name) for name in ("url", "description", "event_kinds")}
            services.webhook_subscription_update(subscription=obj, **fields)
            return
        created = services.webhook_subscription_create(
            url=obj.url, event_kinds=obj.event_kinds, description=obj.description, user=request.user
        )
        obj.pk, obj.secret = created.pk, created.secret
        self.message_user(
            request,
            f"Signing secret (shown once, store it now): {created.secret}",
            messages.WARNING,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        paused = WebhookSubscription.objects.filter(status=SubscriptionStatus.PAUSED).count()
        if paused and request.method == "GET":
            self.message_user(
                request,
                f"{paused} subscription(s) paused after repeated failed deliveries: fix the receiver, then resume.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="Resume selected subscriptions (and resend what they missed)", permissions=["change"])
    def resume_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        resent = sum(services.webhook_subscription_resume(subscription=s) for s in queryset)
        self.message_user(request, f"Resumed; {resent} missed deliveries queued again.", messages.SUCCESS)

    @admin.action(description="Pause selected subscriptions", permissions=["change"])
    def pause_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            services.webhook_subscription_pause(subscription=subscription, reason=f"Paused by {request.user}.")
        self.message_user(request, "Paused.", messages.SUCCESS)

    @admin.action(description="Generate a new signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            secret = services.webhook_subscription_rotate_secret(subscription=subscription)
            self.message_user(request, f"New secret for {subscription.url} (shown once): {secret}", messages.WARNING)

    @admin.display(description="kinds")
    def kinds(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.event_kinds)

    @admin.display(description="status", ordering="status")
    def status_badge(self, subscription: WebhookSubscription) -> SafeString:
        label = subscription.get_status_display()
        if subscription.status == SubscriptionStatus.PAUSED and subscription.paused_reason:
            label = f"{label}: {subscription.paused_reason}"
        return _status_badge(subscription.status, label, bad={SubscriptionStatus.PAUSED}, good={"active"})

    @admin.display(description="secret")
    def secret_hint(self, subscription: WebhookSubscription) -> str:
        return f"{subscription.secret[:4]}… (use “Generate a new signing secret” if it is lost)"

    @admin.display(description="deliveries")
    def deliveries(self, subscription: WebhookSubscription) -> SafeString:
        url = reverse("admin:exchange_webhookdelivery_changelist") + f"?subscription__id__exact={subscription.pk}"
        return format_html('<a href="{}">attempts log</a>', url)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Snapshots, read-only; “Make a snapshot now” queues a new one."""

    list_display = ["__str__", "status_badge", "trigger", "made_at", "size", "short_sha", "records", "download"]
    list_filter = ["status", "trigger"]
    fields = [
        "status",
        "trigger",
        "made_at",
        "size_bytes",
        "sha256",
        "record_counts",
        "error",
        "created_by",
        "created_at",
        "download",
    ]
    readonly_fields = fields
    change_list_template = "admin/exchange/snapshot/change_list.html"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The backups are not editors' to destroy: only administrators delete them (retention
        # deletes old ones, see SNAPSHOT_KEEP).
        return request.user.is_superuser

    def get_urls(self) -> list:
        return [
            path("make/", self.admin_site.admin_view(require_POST(self.make_view)), name="exchange_snapshot_make"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:exchange_snapshot_changelist"))

    def make_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        snapshot = services.snapshot_request(user=request.user)
        snapshot.refresh_from_db()
        if snapshot.status == SnapshotStatus.NOT_QUEUED:
            self.message_user(request, QUEUE_FAILED_MESSAGE, messages.ERROR)
        elif snapshot.status == SnapshotStatus.READY:
            self.message_user(request, f"{snapshot} is ready to download.", messages.SUCCESS)
        else:
            self.message_user(request, f"{snapshot} queued; it appears here when ready.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:exchange_snapshot_changelist"))

    @admin.display(description="status", ordering="status")
    def status_badge(self, snapshot: Snapshot) -> SafeString:
        return _status_badge(
            snapshot.status, snapshot.get_status_display(), bad={"failed", "not_queued"}, good={"ready"}
        )

    @admin.display(description="size")
    def size(self, snapshot: Snapshot) -> str:
        return f"{snapshot.size_bytes / 1024:.0f} KB" if snapshot.size_bytes else "—"

    @admin.display(description="SHA-256")
    def short_sha(self, snapshot: Snapshot) -> str:
        return f"{snapshot.sha256[:12]}…" if snapshot.sha256 else "—"

    @admin.display(description="records")
    def records(self, snapshot: Snapshot) -> int:
        return snapshot.total_records

    @admin.display(description="download")
    def download(self, snapshot: Snapshot) -> SafeString | str:
        if snapshot.status != SnapshotStatus.READY:
            return "—"
        return format_html('<a href="{}">{}</a>', snapshot.get_download_url(), snapshot.file_name)
