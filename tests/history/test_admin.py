"""The shared admin of recorded models: reverting restores the past state, many-to-many fields included."""

import pytest
from django.urls import reverse

from actors.models import Position
from history.records import m2m_of_history_rows
from history.writing import save_recorded
from tests.factories import PositionFactory, ProvisionFactory, SourceFactory

pytestmark = pytest.mark.django_db


def revert_url(position, history_row):
    return reverse("admin:actors_position_simple_history", args=[position.pk, history_row.history_id])


@pytest.fixture
def resourced():
    """A position first citing one source, then another instead."""
    old, new = SourceFactory(title="The old report"), SourceFactory(title="The new report")
    position = PositionFactory(sources=[old], stance="supports")
    then = position.history.first()
    position.sources.set([new])
    position.stance = "opposes"
    position.save()
    return position, then, old, new


def test_the_revert_form_starts_from_the_sources_of_that_past_state(editor_client, resourced):
    position, then, old, _new = resourced
    page = editor_client.get(revert_url(position, then))
    assert page.status_code == 200
    assert [int(pk) for pk in page.context["adminform"].form["sources"].value()] == [old.pk]
    content = page.content.decode()
    assert "The old report" in content
    assert "The new report" not in content


def test_reverting_restores_the_old_sources_and_records_it(editor_client, editor, resourced):
    position, then, old, _new = resourced
    form = editor_client.get(revert_url(position, then)).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    response = editor_client.post(revert_url(position, then), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    position.refresh_from_db()
    assert (position.stance, list(position.sources.all())) == ("supports", [old])
    latest = Position.history.filter(id=position.pk).first()
    assert latest.history_user == editor
    assert m2m_of_history_rows(Position, "sources", [latest.history_id]) == {latest.history_id: [old.pk]}


def test_a_malformed_history_id_is_a_404(editor_client, resourced):
    position = resourced[0]
    url = reverse("admin:actors_position_simple_history", args=[position.pk, 1]).replace("/1/", "/x1/")
    assert editor_client.get(url).status_code == 404


def test_the_history_page_shows_labels_not_stored_codes(editor_client):
    point = ProvisionFactory(status="proposed", topics=["nuclear"])
    point.status, point.topics = "agreed_in_principle", ["nuclear", "security_guarantees"]
    save_recorded(point)
    content = editor_client.get(reverse("admin:provisions_provision_history", args=[point.pk])).content.decode()
    assert "Proposed" in content and "Agreed in principle" in content
    assert "Nuclear, Security guarantees" in content
    assert "agreed_in_principle" not in content and "security_guarantees" not in content


def test_a_stances_history_page_shows_the_stance_labels(editor_client, resourced):
    position = resourced[0]
    page = editor_client.get(reverse("admin:actors_position_history", args=[position.pk]))
    changes = [change for row in page.context["page_obj"] for change in getattr(row, "history_delta_changes", [])]
    assert ("Stance", "Supports", "Opposes") in [(c["field"], c["old"], c["new"]) for c in changes]


def test_the_changes_list_shows_the_newest_change_first(editor_client):
    SourceFactory(), SourceFactory()
    page = editor_client.get(reverse("admin:history_change_changelist"))
    ids = [change.pk for change in page.context["cl"].result_list]
    assert len(ids) >= 2
    assert ids == sorted(ids, reverse=True)
