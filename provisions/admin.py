"""The editors' admin for plans, versions, points, territories and sources."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import path

from actors.models import Position
from editors.point_picker import PointAutocompleteJsonView, PointPickerMixin
from history.admin import RecordedAdmin

from . import services
from .choices import ProvisionStatus, Topic
from .models import (
    ControlObservation,
    Lineage,
    Plan,
    Provision,
    Source,
    TerritorialDisposition,
    Territory,
    Version,
    clean_point_number,
)
from .numbering import point_sort_key


@admin.register(Source)
class SourceAdmin(RecordedAdmin):
    # A web address typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "publisher", "published_on", "kind", "is_state_media", "url"]
    list_filter = ["kind", "publisher"]
    search_fields = ["title", "publisher", "url", "notes"]
    date_hierarchy = "published_on"


@admin.register(Plan)
class PlanAdmin(RecordedAdmin):
    list_display = ["name", "proposed_by", "answers"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["proposed_by", "answers"]


class ProvisionAdminForm(forms.ModelForm):
    topics = forms.MultipleChoiceField(
        choices=Topic.choices, widget=forms.CheckboxSelectMultiple, help_text="One or more topics."
    )

    class Meta:
        model = Provision
        fields = ["version", "number", "title", "text_basis", "text", "note", "topics", "status", "sources"]


class ProvisionInlineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Two rows of one submit with the same number (10a and 10.a count as the same)
        are a form error: each row alone passes the model's check against saved points."""
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            number = clean_point_number(form.cleaned_data.get("number"))
            if not number:
                continue
            key = point_sort_key(number)
            if key in seen:
                form.add_error("number", f"Point {seen[key]} is already in this form: give each point its own number.")
            else:
                seen[key] = number


class ProvisionInline(admin.TabularInline):
    model = Provision
    form = ProvisionAdminForm
    formset = ProvisionInlineFormSet
    fields = ["number", "title", "text_basis", "text", "topics", "status"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}
    extra = 0
    show_change_link = True
    ordering = ["sort_key"]


@admin.register(Version)
class VersionAdmin(RecordedAdmin):
    list_display = ["label", "plan", "dated", "status", "text_basis", "proposed_by", "point_count"]
    list_filter = ["status", "text_basis", "plan"]
    search_fields = ["label", "summary", "plan__name"]
    date_hierarchy = "dated"
    ordering = ["-dated", "-id"]
    autocomplete_fields = ["plan", "proposed_by", "revises", "sources"]
    inlines = [ProvisionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("plan", "proposed_by").annotate(points=Count("provisions"))

    @admin.display(description="points", ordering="points")
    def point_count(self, version: Version) -> int:
        return version.points


class DispositionInline(admin.TabularInline):
    model = TerritorialDisposition
    extra = 0
    autocomplete_fields = ["territory"]


class PositionInline(admin.StackedInline):
    model = Position
    fk_name = "provision"
    fields = [
        "actor",
        "stance",
        ("taken_on", "taken_on_precision"),
        "summary",
        ("attribution", "attributed_to"),
        "sources",
    ]
    extra = 0
    autocomplete_fields = ["actor", "sources"]
    ordering = ["actor__name", "-taken_on"]


class LineageInline(PointPickerMixin, admin.TabularInline):
    model = Lineage
    fk_name = "provision"
    verbose_name = "derives from"
    verbose_name_plural = "derives from (earlier points)"
    fields = ["derives_from", "relation", "similarity", "confirmed", "note"]
    extra = 0
    autocomplete_fields = ["derives_from"]


class TopicFilter(admin.SimpleListFilter):
    title = "topic"
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Topic.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.with_topic(self.value()) if self.value() in Topic.values else queryset


def _status_action(status: ProvisionStatus):
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            count = services.provisions_set_status(provisions=queryset, status=status, user=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        modeladmin.message_user(request, f"{count} point(s) marked “{status.label}”.", messages.SUCCESS)

    action.__name__ = f"mark_{status.value}"
    action.short_description = f"Mark selected points “{status.label}”"
    action.allowed_permissions = ("change",)
    return action


@admin.register(Provision)
class ProvisionAdmin(RecordedAdmin):
    form = ProvisionAdminForm
    list_display = ["number", "title", "version_label", "status", "topic_list"]
    list_display_links = ["number", "title"]
    list_filter = ["status", TopicFilter, "version__plan", "version"]
    list_select_related = ["version"]
    search_fields = ["number", "title", "text", "version__label"]
    ordering = ["-version__dated", "version_id", "sort_key"]
    autocomplete_fields = ["version", "sources"]
    inlines = [DispositionInline, PositionInline, LineageInline]
    actions = [_status_action(status) for status in ProvisionStatus]
    history_value_labels = {"topics": Topic.choices}

    class Media:
        css = {"all": ["admin-extra/changelist.css"]}

    def get_urls(self) -> list:
        # Before the default URLs, whose "<object_id>/" would take "autocomplete/".
        picker = self.admin_site.admin_view(PointAutocompleteJsonView.as_view(admin_site=self.admin_site))
        return [path("autocomplete/", picker, name="provisions_provision_autocomplete"), *super().get_urls()]

    @admin.display(description="version", ordering="version__dated")
    def version_label(self, provision: Provision) -> str:
        # The label alone: the version filter names the plan, and a foreign-key column
        # ("Plan — label (date)") never wraps, which pushed the topics out of sight.
        return provision.version.label

    @admin.display(description="topics")
    def topic_list(self, provision: Provision) -> str:
        return ", ".join(provision.topic_labels)


@admin.register(Lineage)
class LineageAdmin(PointPickerMixin, RecordedAdmin):
    list_display = ["provision", "derives_from", "relation", "similarity", "confirmed"]
    list_filter = ["confirmed", "relation", "provision__version"]
    list_select_related = ["provision", "derives_from"]
    search_fields = ["provision__title", "derives_from__title"]
    autocomplete_fields = ["provision", "derives_from"]
    actions = ["confirm_links"]

    @admin.action(description="Confirm selected links (reviewed)", permissions=["change"])
    def confirm_links(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.lineage_confirm(links=queryset, user=request.user)
        self.message_user(request, f"{count} link(s) confirmed.", messages.SUCCESS)


class ShareField(forms.DecimalField):
    """A share in %: too many decimals is said plainly, with the rounded value to type instead
    (the model field's own check would say "no more than 5 digits in total")."""

    def validate(self, value: Decimal | None) -> None:
        super().validate(value)
        if value is not None and value.is_finite() and value.as_tuple().exponent < -self.decimal_places:
            rounded = value.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)
            raise ValidationError(
                f"Give the share with at most {self.decimal_places} decimals, e.g. {rounded}.",
                code="max_decimal_places",
            )


class ControlObservationForm(forms.ModelForm):
    class Meta:
        model = ControlObservation
        fields = ["territory", "observed_on", "ukraine_share", "russia_share", "source", "note"]
        field_classes = {"ukraine_share": ShareField, "russia_share": ShareField}


class ControlObservationInline(admin.TabularInline):
    model = ControlObservation
    form = ControlObservationForm
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Territory)
class TerritoryAdmin(RecordedAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [ControlObservationInline]


@admin.register(ControlObservation)
class ControlObservationAdmin(RecordedAdmin):
    form = ControlObservationForm
    list_display = ["territory", "observed_on", "ukraine_share", "russia_share", "source"]
    list_filter = ["territory"]
    list_select_related = ["territory", "source"]
    search_fields = ["territory__name", "note", "source__title"]
    date_hierarchy = "observed_on"
    autocomplete_fields = ["territory", "source"]


@admin.register(TerritorialDisposition)
class TerritorialDispositionAdmin(PointPickerMixin, RecordedAdmin):
    list_display = ["provision", "territory", "disposition"]
    list_filter = ["disposition", "territory"]
    list_select_related = ["provision", "territory"]
    search_fields = ["provision__title", "territory__name", "note"]
    autocomplete_fields = ["provision", "territory"]
