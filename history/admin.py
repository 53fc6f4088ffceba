from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from .locking import lock_change_log
from .models import Change
from .records import m2m_of_history_rows, tracked_m2m_fields
from .writing import m2m_references


class LabelledChangesHelper(HistoricalRecordContextHelper):
    """The history page's field changes in words: "Agreed in principle", not "agreed_in_principle"."""

    def __init__(self, model: Any, record: Any, *, value_labels: dict[str, Any]) -> None:
        super().__init__(model, record)
        self.value_labels = value_labels

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        labels = dict(self.value_labels.get(change.field) or field.flatchoices or [])
        if not labels:
            return value
        if isinstance(value, list):  # a list of codes, such as a point's topics
            return ", ".join(str(labels.get(code, code)) for code in value)
        return labels.get(value, value)


# The hidden field of a change form holding the record's `updated_at` as the editor saw it.
SEEN_FIELD = "seen_updated_at"


def _seen(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def guarded_against_stale_saves(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """The form with a hidden `seen_updated_at`: saving a record someone else saved after
    this form was opened is a form error (no silent overwrite). Checked under the row's
    lock, after the change-log lock (the one lock order, history/locking.py), so two
    saves at the same moment cannot both pass. A post without the field (a script) is not checked."""

    class StaleSaveGuardForm(form_class):
        seen_updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self.instance.pk is not None:
                self.fields[SEEN_FIELD].initial = _seen(self.instance.updated_at)

        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            seen = (self.cleaned_data.get(SEEN_FIELD) or "").strip()
            if self.instance.pk is None or not seen:
                return cleaned
            model = type(self.instance)
            lock_change_log()
            current = (
                model._base_manager.select_for_update(of=("self",))
                .filter(pk=self.instance.pk)
                .order_by()
                .values_list("updated_at", flat=True)
                .first()
            )
            if current is not None and _seen(current) != seen:
                last = (
                    Change.objects.filter(record_type=model._meta.label_lower, object_id=self.instance.pk)
                    .select_related("changed_by")
                    .order_by("-id")
                    .first()
                )
                who = f" by {last.changed_by}" if last is not None and last.changed_by is not None else ""
                raise ValidationError(
                    f"Someone else saved this {model._meta.verbose_name}{who} at {current:%Y-%m-%d %H:%M:%S} UTC, "
                    "after you opened it; your changes were not saved. Open it again to see theirs, then make "
                    "yours again.",
                    code="stale",
                )
            return cleaned

    StaleSaveGuardForm.__name__ = form_class.__name__
    return StaleSaveGuardForm


class RecordedAdmin(SimpleHistoryAdmin):
    """The admin of every editorial model: history, revert, and deletes that keep history whole."""

    # Labels of coded values the model field itself does not declare as choices
    # (a JSON list of topics): {"topics": Topic.choices}.
    history_value_labels: dict[str, Any] = {}

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any):
        return LabelledChangesHelper(self.model, historical_record, value_labels=self.history_value_labels)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # A record still cited in a many-to-many list (a source of a position) is
        # refused like a PROTECT reference: the confirmation page lists what cites it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for obj in objs:
            protected += [f"{capfirst(ref._meta.verbose_name)}: {ref}" for ref in m2m_references(obj)]
        return deleted, counts, perms_needed, protected

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Revert to a past state: the form starts from that state's many-to-many
        values too (simple-history fills them from the live record), and the
        revert saves in one transaction."""
        if not str(version_id).isdigit():
            raise Http404("No such history entry.")
        history_id = int(version_id)
        request._historic_m2m = {
            field.name: m2m_of_history_rows(self.model, field.name, [history_id])[history_id]
            for field in tracked_m2m_fields(self.model)
        }
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        # The stale-save guard's hidden field is the form's own, not a model field.
        fields = kwargs.pop("fields") if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        if fields is not None:
            fields = [name for name in fields if name != SEEN_FIELD]
        form_class = super().get_form(request, obj, change, fields=fields, **kwargs)
        historic = getattr(request, "_historic_m2m", None)
        if obj is not None and historic is None:  # a change form, not a revert (which starts from the past)
            form_class = guarded_against_stale_saves(form_class)
        if not historic:
            return form_class

        class HistoricStateForm(form_class):
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                for name, ids in historic.items():
                    if name in self.fields:
                        self.initial[name] = ids

        HistoricStateForm.__name__ = form_class.__name__
        return HistoricStateForm


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change log, read-only: it is written by the history recorder alone."""

    list_display = ["id", "changed_at", "action", "record_type", "object_id", "changed_by"]
    ordering = ["-id"]  # newest first; ids follow commit order (see the model)
    list_filter = ["action", "record_type"]
    list_select_related = ["changed_by"]
    search_fields = ["record_type", "=object_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
