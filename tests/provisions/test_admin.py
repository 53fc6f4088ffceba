"""The editors' admin: every page renders for an editor, is refused to others,
and bad input comes back as a form error with nothing saved."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from provisions.models import ControlObservation, Lineage, Provision, Source, Version
from tests.conftest import SharedLoad, shared_load
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


def make_one_of_each() -> None:
    """At least one record of every editorial model."""
    early = VersionFactory()
    LineageFactory(derives_from=ProvisionFactory(version=early), provision=ProvisionFactory())
    PositionFactory()
    DispositionFactory()
    ControlObservationFactory()
    EventFactory()
    AccountFactory()


@pytest.fixture(scope="module")
def _one_of_each_in_module(_shared_loads, django_db_blocker) -> SharedLoad:
    return shared_load(django_db_blocker, "one_of_each", make_one_of_each)


@pytest.fixture
def one_of_each(request, _one_of_each_in_module, db) -> None:
    """`make_one_of_each()`, made once per module (and xdist worker) and shared (see `SharedLoad`)."""
    return _one_of_each_in_module.copy_for(request, make_one_of_each)


def test_every_model_editors_may_change_is_in_the_admin():
    from editors.permissions import EDITOR_MODELS

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


@pytest.mark.parametrize("model", EDITORIAL_MODELS, ids=lambda m: m._meta.model_name)
def test_a_staff_user_outside_editors_is_refused(client, one_of_each, model):
    client.force_login(UserFactory(username="intern", is_staff=True))
    obj = model.objects.first()
    for url in [admin_url(model, "changelist"), admin_url(model, "add"), admin_url(model, "change", obj.pk)]:
        assert client.get(url).status_code == 403, url
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(admin_url(Provision, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_demo_draft_shows_its_28_points_in_the_admin(editor_client, demo_data):
    response = editor_client.get(admin_url(Provision, "changelist"), {"version__id__exact": demo_version().pk})
    assert "28 points" in response.content.decode()


def demo_version():
    from provisions.models import Version

    return Version.objects.get(label="28-point draft")


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


def version_form_data(version, rows):
    """The version's change form as posted, with new point rows in its inline."""
    data = {
        "plan": version.plan_id,
        "label": version.label,
        "dated": version.dated.isoformat(),
        "dated_precision": version.dated_precision,
        "status": version.status,
        "text_basis": version.text_basis,
        "summary": version.summary,
        "provisions-TOTAL_FORMS": str(len(rows)),
        "provisions-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        data.update({f"provisions-{index}-{name}": value for name, value in row.items()})
    return data


def point_row(number, title="Ceasefire"):
    return {
        "number": number,
        "title": title,
        "text": "Both sides stop firing.",
        "topics": ["ceasefire"],
        "status": "proposed",
    }


def test_a_point_added_on_its_versions_page_is_saved_with_its_topics(editor_client, editor):
    version = VersionFactory()
    response = editor_client.post(
        admin_url(Version, "change", version.pk), version_form_data(version, [point_row("1")])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [point] = version.provisions.all()
    assert (point.number, point.topics, point.text) == ("1", ["ceasefire"], "Both sides stop firing.")
    assert point.history.first().history_user == editor


def test_a_point_added_on_its_versions_page_without_a_topic_is_a_form_error(editor_client):
    version = VersionFactory()
    row = {**point_row("1"), "topics": []}
    response = editor_client.post(admin_url(Version, "change", version.pk), version_form_data(version, [row]))
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert version.provisions.count() == 0


@pytest.mark.parametrize(("first", "second"), [("4", "4"), ("10a", "10.a")])
def test_two_new_points_with_one_number_on_a_versions_page_are_a_form_error(editor_client, first, second):
    version = VersionFactory()
    data = version_form_data(version, [point_row(first), point_row(second, "Again")])
    response = editor_client.post(admin_url(Version, "change", version.pk), data)
    assert response.status_code == 200
    assert "is already in this form" in response.content.decode()
    assert version.provisions.count() == 0


def test_a_new_point_linked_to_a_later_version_in_the_same_submit_is_a_form_error(editor_client):
    import datetime

    early = VersionFactory(dated=datetime.date(2025, 11, 20))
    later_point = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    data = {
        "version": early.pk,
        "number": "1",
        "title": "Ceasefire",
        "text": "x",
        "topics": ["ceasefire"],
        "status": "proposed",
        **empty_inlines(),
        "lineage_links-TOTAL_FORMS": "1",
        "lineage_links-0-derives_from": later_point.pk,
        "lineage_links-0-relation": "reworded",
        "lineage_links-0-confirmed": "on",
    }
    response = editor_client.post(admin_url(Provision, "add"), data)
    assert response.status_code == 200
    assert "is later than" in response.content.decode()
    assert early.provisions.count() == 0
    assert Lineage.objects.count() == 0


def test_a_source_a_position_cites_cannot_be_deleted_in_the_admin(editor_client):
    source = SourceFactory()
    PositionFactory(sources=[source])
    response = editor_client.post(admin_url(Source, "delete", source.pk), {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Source.objects.filter(pk=source.pk).exists()


def test_a_source_nothing_cites_can_be_deleted_in_the_admin(editor_client):
    source = SourceFactory()
    response = editor_client.post(admin_url(Source, "delete", source.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()


def point_form_data(version, number):
    return {
        "version": version.pk,
        "number": number,
        "title": "Ceasefire",
        "text": "x",
        "topics": ["ceasefire"],
        "status": "proposed",
        **empty_inlines(),
    }


@pytest.mark.parametrize("number", ["seven!!", "VII", "A", "3(b)", "-1", "#4"])
def test_a_point_number_that_is_not_a_point_number_is_a_form_error(editor_client, number):
    version = VersionFactory()
    response = editor_client.post(admin_url(Provision, "add"), point_form_data(version, number))
    assert response.status_code == 200
    assert "is not a point number" in response.context["adminform"].form.errors["number"][0]
    assert version.provisions.count() == 0


@pytest.mark.parametrize(
    ("number", "stored"), [("7", "7"), ("10a", "10a"), ("10.b", "10.b"), ("3.2", "3.2"), ("12)", "12")]
)
def test_a_point_number_as_printed_is_saved(editor_client, number, stored):
    version = VersionFactory()
    response = editor_client.post(admin_url(Provision, "add"), point_form_data(version, number))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [point.number for point in version.provisions.all()] == [stored]


def test_a_point_number_that_is_not_a_point_number_on_a_versions_page_is_a_form_error(editor_client):
    version = VersionFactory()
    response = editor_client.post(
        admin_url(Version, "change", version.pk), version_form_data(version, [point_row("seven!!")])
    )
    assert response.status_code == 200
    assert "is not a point number" in response.content.decode()
    assert version.provisions.count() == 0


SOURCE_FORM = {
    "publisher": "Axios",
    "title": "Leak",
    "kind": "news_report",
    "url": "https://example.org/leak",
    "published_on_precision": "day",
}


def test_a_source_dated_in_the_future_is_a_form_error(editor_client):
    from history.clock import latest_today

    tomorrow = latest_today() + datetime.timedelta(days=1)
    data = {**SOURCE_FORM, "published_on": tomorrow.isoformat()}
    response = editor_client.post(admin_url(Source, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["published_on"] == ["A source cannot be dated in the future."]
    assert Source.objects.count() == 0


def test_a_source_dated_today_anywhere_is_saved(editor_client):
    from history.clock import latest_today

    data = {**SOURCE_FORM, "published_on": latest_today().isoformat()}
    response = editor_client.post(admin_url(Source, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Source.objects.get().published_on == latest_today()


SHARE_TOO_PRECISE = "Give the share with at most 2 decimals, e.g. 12.35."


def test_a_share_with_too_many_decimals_is_a_clear_form_error(editor_client):
    territory, source = TerritoryFactory(), SourceFactory()
    response = editor_client.post(
        admin_url(ControlObservation, "add"),
        {"territory": territory.pk, "observed_on": "2025-11-19", "ukraine_share": "12.3456", "source": source.pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ukraine_share"] == [SHARE_TOO_PRECISE]
    assert ControlObservation.objects.count() == 0


def test_a_share_with_too_many_decimals_on_a_territorys_page_is_a_clear_form_error(editor_client):
    from provisions.models import Territory

    territory, source = TerritoryFactory(), SourceFactory()
    data = {
        "name": territory.name,
        "slug": territory.slug,
        "kind": territory.kind,
        "control_observations-TOTAL_FORMS": "1",
        "control_observations-INITIAL_FORMS": "0",
        "control_observations-0-observed_on": "2025-11-19",
        "control_observations-0-russia_share": "12.3456",
        "control_observations-0-source": source.pk,
    }
    response = editor_client.post(admin_url(Territory, "change", territory.pk), data)
    assert response.status_code == 200
    assert SHARE_TOO_PRECISE in response.content.decode()
    assert ControlObservation.objects.count() == 0


def test_a_share_with_two_decimals_is_saved(editor_client):
    territory, source = TerritoryFactory(), SourceFactory()
    response = editor_client.post(
        admin_url(ControlObservation, "add"),
        {"territory": territory.pk, "observed_on": "2025-11-19", "ukraine_share": "12.35", "source": source.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert str(ControlObservation.objects.get().ukraine_share) == "12.35"


def test_the_points_list_shows_each_points_topics_in_a_column_that_wraps(editor_client):
    ProvisionFactory(topics=["nuclear", "security_guarantees"], version=VersionFactory(label="28-point draft"))
    content = editor_client.get(admin_url(Provision, "changelist")).content.decode()
    assert '<td class="field-topic_list">Nuclear, Security guarantees</td>' in content
    # The version as its short label, in a column that wraps: a full "Plan — label (date)"
    # that never wraps pushed the topics out of sight.
    assert '<td class="field-version_label">28-point draft</td>' in content
    assert "nowrap" not in content.split('id="result_list"')[1]
    assert "admin-extra/changelist.css" in content
