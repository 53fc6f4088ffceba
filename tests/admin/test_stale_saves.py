"""Two editors open the same record in the admin and save in turn: the second save is a
form error naming who saved meanwhile, not a silent overwrite of the first one's change."""

import pytest
from django.test import Client
from django.urls import reverse

from actors.models import Position
from provisions.models import Provision, Version
from tests.factories import EditorFactory, PositionFactory, ProvisionFactory, SourceFactory, VersionFactory

pytestmark = pytest.mark.django_db

EMPTY_POINT_INLINES = {
    f"{prefix}-{count}": "0"
    for prefix in ("dispositions", "positions", "lineage_links")
    for count in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def change_url(record):
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_change", args=[record.pk])


def opened(client, record):
    """What the editor's browser holds after opening the change form: the hidden field's value."""
    form = client.get(change_url(record)).context["adminform"].form
    return form["seen_updated_at"].value()


def point_form(point, title):
    return {
        "version": point.version_id,
        "number": point.number,
        "title": title,
        "text": point.text,
        "text_basis": point.text_basis,
        "topics": point.topics,
        "status": point.status,
        **EMPTY_POINT_INLINES,
    }


def version_form(version, summary):
    return {
        "plan": version.plan_id,
        "label": version.label,
        "dated": version.dated.isoformat(),
        "dated_precision": version.dated_precision,
        "status": version.status,
        "text_basis": version.text_basis,
        "summary": summary,
        "provisions-TOTAL_FORMS": "0",
        "provisions-INITIAL_FORMS": "0",
    }


def position_form(position, summary):
    return {
        "actor": position.actor_id,
        "version": position.version_id,
        "provision": position.provision_id,
        "stance": position.stance,
        "summary": summary,
        "taken_on": position.taken_on.isoformat(),
        "taken_on_precision": position.taken_on_precision,
        "attribution": position.attribution,
        "attributed_to": position.attributed_to,
        "sources": [source.pk for source in position.sources.all()],
    }


def editors():
    alice, bob = Client(), Client()
    alice.force_login(EditorFactory(username="alice"))
    bob.force_login(EditorFactory(username="bob"))
    return alice, bob


CASES = {
    "point": (lambda: ProvisionFactory(topics=["ceasefire"]), point_form, "title"),
    "version": (VersionFactory, version_form, "summary"),
    "position": (lambda: PositionFactory(sources=[SourceFactory()]), position_form, "summary"),
}


@pytest.mark.parametrize("kind", CASES)
def test_the_second_of_two_editors_saving_the_same_record_gets_a_form_error(kind):
    make, form, field = CASES[kind]
    record = make()
    alice, bob = editors()
    seen_by_alice, seen_by_bob = opened(alice, record), opened(bob, record)
    assert seen_by_alice and seen_by_alice == seen_by_bob

    first = alice.post(change_url(record), {**form(record, "Alice's wording"), "seen_updated_at": seen_by_alice})
    assert first.status_code == 302, first.content.decode()[:2000]
    second = bob.post(change_url(record), {**form(record, "Bob's wording"), "seen_updated_at": seen_by_bob})

    assert second.status_code == 200
    errors = second.context["adminform"].form.non_field_errors()
    assert any("Someone else saved this" in error and "by alice" in error for error in errors), errors
    record.refresh_from_db()
    assert getattr(record, field) == "Alice's wording"
    # Opened again, Bob's save goes through.
    third = bob.post(change_url(record), {**form(record, "Bob's wording"), "seen_updated_at": opened(bob, record)})
    assert third.status_code == 302, third.content.decode()[:2000]
    record.refresh_from_db()
    assert getattr(record, field) == "Bob's wording"


def test_saving_in_turn_without_anyone_in_between_is_no_error():
    point = ProvisionFactory(topics=["ceasefire"])
    alice, _ = editors()
    for title in ("One", "Two"):
        response = alice.post(change_url(point), {**point_form(point, title), "seen_updated_at": opened(alice, point)})
        assert response.status_code == 302
    assert Provision.objects.get(pk=point.pk).title == "Two"
    assert Version.objects.exists() and Position.objects.count() == 0
