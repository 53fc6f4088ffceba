"""The admin's input rules live in the models: the API and every other writer get them too."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from actors.models import Position
from history.clock import latest_today
from history.writing import save_recorded
from provisions.models import Provision, Source
from tests.factories import ActorFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_api(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


def test_a_point_number_that_is_not_a_point_number_is_refused_by_the_model():
    version = VersionFactory()
    with pytest.raises(ValidationError) as error:
        save_recorded(Provision(version=version, number="seven!!", title="T", text="x", topics=["ceasefire"]))
    assert error.value.message_dict["number"] == [
        "“seven!!” is not a point number: write it as printed, digits first, e.g. 7, 10a, 10.b or 3.2."
    ]
    assert version.provisions.count() == 0


def test_a_point_number_that_is_not_a_point_number_is_a_400_in_the_api(editor_api):
    version = VersionFactory()
    response = editor_api.post(
        "/api/v1/provisions/",
        {"version": version.pk, "number": "seven!!", "title": "T", "text": "x", "topics": ["ceasefire"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "is not a point number" in response.json()["number"][0]
    assert version.provisions.count() == 0


def test_a_source_dated_in_the_future_is_refused_by_the_model():
    with pytest.raises(ValidationError) as error:
        tomorrow = latest_today() + datetime.timedelta(1)
        save_recorded(Source(publisher="Axios", title="Leak", url="https://example.org/leak", published_on=tomorrow))
    assert error.value.message_dict == {"published_on": ["A source cannot be dated in the future."]}
    assert Source.objects.count() == 0


def test_a_source_dated_in_the_future_is_a_400_in_the_api(editor_api):
    response = editor_api.post(
        "/api/v1/sources/", {"publisher": "Axios", "title": "Leak", "published_on": "2999-01-01"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "published_on" in response.json()
    assert Source.objects.count() == 0


def test_sources_and_positions_share_one_today():
    """Both accept today where it is latest and refuse the day after: one rule, one clock."""
    today, tomorrow = latest_today(), latest_today() + datetime.timedelta(1)
    save_recorded(Source(publisher="Axios", title="Today", url="https://example.org/today", published_on=today))
    position = Position(actor=ActorFactory(), version=VersionFactory(), stance="supports", summary="Yes.")
    position.taken_on = today
    position.full_clean(exclude=["sources"])
    tomorrow_source = Source(publisher="Axios", title="Tomorrow", url="https://example.org/tomorrow")
    for record, field in [(tomorrow_source, "published_on"), (position, "taken_on")]:
        setattr(record, field, tomorrow)
        with pytest.raises(ValidationError) as error:
            record.full_clean(exclude=["sources"])
        assert list(error.value.message_dict) == [field]
    assert SourceFactory().published_on < today
