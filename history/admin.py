from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

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
        form_class = super().get_form(request, obj, change, **kwargs)
        historic = getattr(request, "_historic_m2m", None)
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
