"""The editors' admin: every page renders for an editor, is refused to others,
and bad input comes back as a form error with nothing saved."""

import pytest
from django.contrib import admin
from django.urls import reverse

from provisions.models import ControlObservation, Provision
from tests.factories import (
    AccountFactory,
    ControlObservationFactory,
    DispositionFactory,
    EventFactory,
    LineageFactory,
    PositionFactory,
    ProvisionFactory,
    SourceFactory,
    TerritoryFactory,
    UserFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

EDITORIAL_APPS = {"provisions", "actors"}
EDITORIAL_MODELS = [model for model in admin.site._registry if model._meta.app_label in EDITORIAL_APPS]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def one_of_each(db):
    """At least one record of every editorial model."""
    early = VersionFactory()
    LineageFactory(derives_from=ProvisionFactory(version=early), provision=ProvisionFactory())
    PositionFactory()
    DispositionFactory()
    ControlObservationFactory()
    EventFactory()
    AccountFactory()


def test_every_model_editors_may_change_is_in_the_admin():
    from provisions.editors import EDITOR_MODELS

    registered = {(model._meta.app_label, model._meta.model_name) for model in EDITORIAL_MODELS}
    editable = {(app, name) for app, names in EDITOR_MODELS.items() if app in EDITORIAL_APPS for name in names}
    # Accounts are edited inside their claim, not on a page of their own.
    assert registered == editable - {("actors", "account")}


@pytest.mark.parametrize("model", EDITORIAL_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_add_change_and_history_pages_render_for_an_editor(editor_client, one_of_each, model):
    obj = model.objects.first()
    for url in [
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ]:
        response = editor_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("model", EDITORIAL_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_search_works(editor_client, one_of_each, model):
    response = editor_client.get(admin_url(model, "changelist"), {"q": "a"})
    assert response.status_code == 200


def test_a_staff_user_outside_editors_is_refused(client, one_of_each):
    client.force_login(UserFactory(username="intern", is_staff=True))
    assert client.get(admin_url(Provision, "changelist")).status_code == 403
    assert client.get(admin_url(Provision, "change", Provision.objects.first().pk)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(admin_url(Provision, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_demo_draft_shows_its_28_points_in_the_admin(editor_client, demo_data):
    response = editor_client.get(admin_url(Provision, "changelist"), {"version__id__exact": demo_version().pk})
    assert "28 points" in response.content.decode()


def demo_version():
    from provisions.models import Version

    return Version.objects.get(label__icontains="28")


def test_a_share_over_100_is_a_form_error_and_nothing_is_saved(editor_client):
    territory, source = TerritoryFactory(), SourceFactory()
    response = editor_client.post(
        admin_url(ControlObservation, "add"),
        {"territory": territory.pk, "observed_on": "2025-11-19", "ukraine_share": "150", "source": source.pk},
    )
    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()
    assert ControlObservation.objects.count() == 0


def test_a_duplicate_point_number_is_a_form_error(editor_client):
    point = ProvisionFactory(number="5")
    response = editor_client.post(
        admin_url(Provision, "add"),
        {
            "version": point.version_id,
            "number": "5",
            "title": "Duplicate",
            "text": "x",
            "topics": ["territory"],
            "status": "proposed",
            **empty_inlines(),
        },
    )
    assert response.status_code == 200
    assert "already has a point" in response.content.decode()
    assert Provision.objects.count() == 1


def test_editing_a_point_in_the_admin_records_the_editor_in_its_history(editor_client, editor):
    point = ProvisionFactory(title="Sovereignty", topics=["sovereignty"])
    response = editor_client.post(
        admin_url(Provision, "change", point.pk),
        {
            "version": point.version_id,
            "number": point.number,
            "title": "Sovereignty confirmed",
            "text": point.text,
            "topics": ["sovereignty", "security_guarantees"],
            "status": "disputed",
            **empty_inlines(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    latest = point.history.first()
    assert (latest.title, latest.topics, latest.history_user) == (
        "Sovereignty confirmed",
        ["sovereignty", "security_guarantees"],
        editor,
    )
    history_page = editor_client.get(admin_url(Provision, "history", point.pk))
    assert "editor" in history_page.content.decode()


def test_a_bad_inline_row_saves_nothing(editor_client):
    point = ProvisionFactory(title="Territory", topics=["territory"])
    data = {
        "version": point.version_id,
        "number": point.number,
        "title": "Changed title",
        "text": point.text,
        "topics": ["territory"],
        "status": "proposed",
        **empty_inlines(),
    }
    # One position dated in the future: the whole form comes back, the title is not changed.
    data.update(
        {
            "positions-TOTAL_FORMS": "1",
            "positions-0-actor": PositionFactory().actor_id,
            "positions-0-stance": "supports",
            "positions-0-taken_on": "2999-01-01",
            "positions-0-summary": "Backs it",
            "positions-0-sources": [SourceFactory().pk],
        }
    )
    response = editor_client.post(admin_url(Provision, "change", point.pk), data)
    assert response.status_code == 200
    assert "cannot be dated in the future" in response.content.decode()
    point.refresh_from_db()
    assert point.title == "Territory"


def empty_inlines():
    data = {}
    for prefix in ["dispositions", "positions", "lineage_links"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data
