"""The admin's point picker: every point is labelled with its version (numbers repeat
across versions) and, once a form has chosen a version, only that version's points are offered."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from actors.models import Position
from provisions.models import Provision
from tests.factories import ActorFactory, ProvisionFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_drafts():
    """Point 17 in two versions, with the same title."""
    draft = VersionFactory(label="28-point draft", dated=datetime.date(2025, 11, 20))
    counter = VersionFactory(label="E3 counter-proposal", dated=datetime.date(2025, 11, 23))
    return {
        version: ProvisionFactory(version=version, number="17", title="Nuclear treaties", text="Extend them.")
        for version in (draft, counter)
    }


def point_picker_url(editor_client):
    form = editor_client.get(reverse("admin:actors_position_add")).context["adminform"].form
    return form.fields["provision"].widget.widget.get_url()


def search(editor_client, term, **extra):
    params = {"app_label": "actors", "model_name": "position", "field_name": "provision", "term": term, **extra}
    response = editor_client.get(point_picker_url(editor_client), params)
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_the_point_picker_labels_each_point_with_its_version(editor_client, two_drafts):
    assert search(editor_client, "17") == [
        "E3 counter-proposal — 17. Nuclear treaties",
        "28-point draft — 17. Nuclear treaties",
    ]


def test_the_point_picker_finds_points_by_their_version_label(editor_client, two_drafts):
    assert search(editor_client, "28-point 17") == ["28-point draft — 17. Nuclear treaties"]


def test_the_point_picker_offers_only_the_chosen_versions_points(editor_client, two_drafts):
    draft = next(version for version in two_drafts if version.label == "28-point draft")
    assert search(editor_client, "17", version=draft.pk) == ["28-point draft — 17. Nuclear treaties"]
    assert search(editor_client, "17", version="not-an-id") == search(editor_client, "17")


def test_the_point_picker_refuses_a_visitor_who_is_not_an_editor(client, two_drafts, editor_client):
    url = point_picker_url(editor_client)
    client.logout()
    params = {"app_label": "actors", "model_name": "position", "field_name": "provision", "term": "17"}
    assert client.get(url, params).status_code == 302


def test_a_stances_page_shows_its_point_with_the_version(editor_client, two_drafts):
    point = next(iter(two_drafts.values()))
    position = Position.objects.create(
        actor=ActorFactory(),
        version=point.version,
        provision=point,
        stance="supports",
        summary="Yes.",
        taken_on=datetime.date(2025, 11, 21),
    )
    content = editor_client.get(reverse("admin:actors_position_change", args=[position.pk])).content.decode()
    assert "28-point draft — 17. Nuclear treaties" in content
    # The picker's script needs django.jQuery: it must come after jquery.init.js.
    assert content.index("admin/js/jquery.init.js") < content.index("admin-extra/point_picker.js")


def test_a_point_of_another_version_is_a_clear_form_error(editor_client, two_drafts):
    draft, counter = sorted(two_drafts, key=lambda version: version.dated)
    data = {
        "actor": ActorFactory().pk,
        "version": draft.pk,
        "provision": two_drafts[counter].pk,
        "stance": "supports",
        "summary": "Yes.",
        "taken_on": "2025-11-24",
        "sources": [SourceFactory().pk],
    }
    response = editor_client.post(reverse("admin:actors_position_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["provision"] == [
        "Point 17 is a point of “E3 counter-proposal”, not of the chosen version “28-point draft”: "
        "pick a point of that version, or none for a stance on the version as a whole."
    ]
    assert Position.objects.count() == 0


def point_pickers():
    """Every point field with an autocomplete in the admin, on a page or in an inline."""
    found = []
    for model, model_admin in admin.site._registry.items():
        for owner in [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]:
            for name in owner.autocomplete_fields:
                field = owner.model._meta.get_field(name)
                if getattr(field, "related_model", None) is Provision:
                    found.append((owner, field))
    return found


@pytest.mark.parametrize(
    ("owner", "field"), point_pickers(), ids=lambda item: getattr(item, "name", type(item).__name__)
)
def test_every_point_field_of_the_admin_uses_the_labelled_picker(rf, editor, owner, field):
    request = rf.get("/")
    request.user = editor
    form_field = owner.formfield_for_foreignkey(field, request)
    assert form_field.widget.get_url() == reverse("admin:provisions_provision_autocomplete")
    point = ProvisionFactory(number="3", title="Ceasefire", version=VersionFactory(label="Geneva text"))
    assert form_field.label_from_instance(point) == "Geneva text — 3. Ceasefire"
