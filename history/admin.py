from django.contrib import admin

from .models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change log, read-only: it is written by the history recorder alone."""

    list_display = ["id", "changed_at", "action", "record_type", "object_id", "changed_by"]
    list_filter = ["action", "record_type"]
    list_select_related = ["changed_by"]
    search_fields = ["record_type", "=object_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
