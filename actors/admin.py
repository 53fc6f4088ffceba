"""The editors' admin for actors, positions, events and competing accounts."""

from django.contrib import admin

from editors.point_picker import PointPickerMixin
from history.admin import RecordedAdmin

from .models import Account, Actor, Claim, Event, Position


@admin.register(Actor)
class ActorAdmin(RecordedAdmin):
    list_display = ["name", "kind", "short_code", "role", "represents", "is_principal"]
    list_filter = ["kind", "is_principal"]
    list_select_related = ["represents"]
    search_fields = ["name", "short_code", "role"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["represents"]


@admin.register(Position)
class PositionAdmin(PointPickerMixin, RecordedAdmin):
    list_display = ["actor", "stance", "attribution", "version", "provision", "taken_on", "attributed_to"]
    list_filter = ["stance", "attribution", "actor", "version"]
    list_select_related = ["actor", "version", "provision"]
    search_fields = ["summary", "attributed_to", "actor__name", "provision__title"]
    date_hierarchy = "taken_on"
    ordering = ["-taken_on", "-id"]
    autocomplete_fields = ["actor", "version", "provision", "sources"]


@admin.register(Event)
class EventAdmin(RecordedAdmin):
    list_display = ["occurred_on", "title", "kind", "location", "date_precision"]
    list_filter = ["kind", "actors"]
    search_fields = ["title", "description", "location"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["actors", "sources", "version"]


class AccountInline(admin.StackedInline):
    model = Account
    extra = 0
    autocomplete_fields = ["actor", "source"]


@admin.register(Claim)
class ClaimAdmin(PointPickerMixin, RecordedAdmin):
    list_display = ["question", "version", "provision", "event"]
    search_fields = ["question", "accounts__says"]
    autocomplete_fields = ["version", "provision", "event"]
    inlines = [AccountInline]
