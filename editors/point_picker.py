"""The admin's point picker, for every admin page with a point field (stances, claims,
lineage, dispositions): point numbers repeat across versions, so each point is labelled
with its version and the search narrows to the version chosen in the form.

Shared by the admins of `provisions` and `actors`, so it lives with the editors' tools
rather than in either app's admin (neither app's presentation imports the other's).
"""

from typing import Any

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from provisions.models import Provision


def point_label(point: Provision) -> str:
    """A point as the admin's pickers show it: numbers repeat across versions, so the version comes first."""
    return f"{point.version.label} — {point}"


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Provision) -> str:
        return point_label(obj)


class PointAutocompleteSelect(AutocompleteSelect):
    """The point picker: its own search (labelled, narrowed to a version) and a script
    that sends the version chosen in the same form along with each search."""

    url_name = "%s:provisions_provision_autocomplete"

    def build_attrs(self, base_attrs: dict, extra_attrs: dict | None = None) -> dict:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["class"] += " point-picker"
        attrs["data-width"] = "36em"  # room for "28-point draft — 17. …"
        return attrs

    @property
    def media(self) -> forms.Media:
        # Listed with what it needs, so that merging the page's media keeps it after them.
        return super().media + forms.Media(
            js=["admin/js/jquery.init.js", "admin/js/autocomplete.js", "admin-extra/point_picker.js"]
        )


class PointAutocompleteJsonView(AutocompleteJsonView):
    def get_queryset(self) -> QuerySet:
        points = super().get_queryset().select_related("version")
        version = self.request.GET.get("version", "")
        return points.filter(version_id=version) if version.isdigit() else points

    def serialize_result(self, obj: Provision, to_field_name: str) -> dict[str, Any]:
        return {**super().serialize_result(obj, to_field_name), "text": point_label(obj)}


class PointPickerMixin:
    """For every admin page or inline with a point field: the labelled point picker."""

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Provision:
            kwargs.setdefault("form_class", PointChoiceField)
            kwargs.setdefault("queryset", Provision.objects.select_related("version"))
            if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
                kwargs["widget"] = PointAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
