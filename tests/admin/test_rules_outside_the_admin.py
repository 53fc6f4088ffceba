"""The admin's input rules live in the models: the API and every other writer get them too."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from history.writing import save_recorded
from provisions.models import Provision
from tests.factories import VersionFactory

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
