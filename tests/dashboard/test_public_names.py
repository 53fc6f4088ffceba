"""Public pages name an editor by the display name they set, never by their admin login
(issue 11, item 6)."""

from __future__ import annotations

import pytest

from dashboard.templatetags.dashboard_tags import editor_name
from provisions.services import provision_update
from tests.factories import EditorFactory, ProvisionFactory

pytestmark = pytest.mark.django_db


def _edited_by(user) -> str:
    point = ProvisionFactory(text="Old wording.")
    provision_update(provision=point, text="New wording.", user=user)
    return point.get_absolute_url()


def test_an_editor_without_a_display_name_is_an_editor_not_their_login(client):
    alice = EditorFactory(username="alice_admin_login", first_name="", last_name="")
    body = client.get(_edited_by(alice)).content.decode()
    assert "alice_admin_login" not in body
    assert "by an editor" in body


def test_an_editor_with_a_display_name_is_shown_by_it(client):
    alice = EditorFactory(username="alice_admin_login", first_name="Alice", last_name="Martin")
    body = client.get(_edited_by(alice)).content.decode()
    assert "alice_admin_login" not in body
    assert "by Alice Martin" in body


def test_no_public_feed_or_api_answer_carries_the_login(client):
    alice = EditorFactory(username="alice_admin_login")
    url = _edited_by(alice)
    for public in [url, "/", "/timeline/", "/timeline/feed/", "/api/v1/changes/?after=0", "/api/v1/provisions/"]:
        assert "alice_admin_login" not in client.get(public).content.decode(), public


def test_the_filter_reads_a_missing_user_as_an_editor():
    assert editor_name(None) == "an editor"
