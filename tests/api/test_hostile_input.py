"""Hostile input gets a clear 4xx, never a 500 (issue 11, items 5, 8 and 10)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisions.models import ControlObservation, Plan, Source
from tests.factories import SourceFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

# --- Item 5: characters XML 1.0 cannot carry are refused at input, naming the character ---

UNSTORABLE = [
    ("\x07", "the control character U+0007"),
    ("\x1b", "the control character U+001B"),
    ("\x0b", "the control character U+000B"),
    ("\ufffe", "the character U+FFFE"),
]


@pytest.mark.parametrize(("character", "named"), UNSTORABLE)
def test_the_api_refuses_a_title_with_an_unstorable_character_naming_it(editor_api, character, named):
    response = editor_api.post("/api/v1/plans/", {"name": f"Pl{character}an", "slug": "plan"}, format="json")
    assert response.status_code == 400, response.content
    assert named in response.json()["name"][0] and "cannot be stored" in response.json()["name"][0]
    assert not Plan.objects.exists()


@pytest.mark.parametrize(("character", "named"), UNSTORABLE)
def test_the_admin_refuses_a_note_with_an_unstorable_character_naming_it(editor_client, character, named):
    territory, source = TerritoryFactory(), SourceFactory()
    response = editor_client.post(
        reverse("admin:provisions_controlobservation_add"),
        {
            "territory": territory.pk,
            "observed_on": "2025-11-19",
            "ukraine_share": "10",
            "source": source.pk,
            "note": f"Bell{character}rings",
        },
    )
    assert response.status_code == 200
    assert f"contains {named}, which cannot be stored" in response.content.decode()
    assert not ControlObservation.objects.exists()


def test_tab_newline_and_text_beyond_the_basic_plane_are_kept(editor_api):
    name = "Line one\n\tLine two\r\n🕊 Ж"
    response = editor_api.post("/api/v1/plans/", {"name": name, "slug": "plan"}, format="json")
    assert response.status_code == 201, response.content
    assert Plan.objects.get().name == name


# --- Item 10: a web address with characters that must be encoded is refused ---


@pytest.mark.parametrize("url", ['https://example.org/a"b', "https://example.org/<script>", "https://example.org/x>y"])
def test_a_source_url_with_quote_or_angle_brackets_is_a_field_error(editor_api, url):
    response = editor_api.post(
        "/api/v1/sources/",
        {"publisher": "Reuters", "title": "A report", "url": url, "published_on": "2025-11-20"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "cannot contain" in response.json()["url"][0]
    assert not Source.objects.exists()


def test_a_plain_source_url_is_accepted(editor_api):
    url = "https://example.org/news/2025/11/20/plan?id=3&x=%22q%22#part"
    response = editor_api.post(
        "/api/v1/sources/",
        {"publisher": "Reuters", "title": "A report", "url": url, "published_on": "2025-11-20"},
        format="json",
    )
    assert response.status_code == 201, response.content
