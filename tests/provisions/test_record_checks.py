"""check_record finds what makes a record uncheckable, on deliberately broken records."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from history.dating import DatePrecision
from provisions.record_checks import record_problems
from tests.factories import ActorFactory, EventFactory, PositionFactory, ProvisionFactory, SourceFactory

pytestmark = pytest.mark.django_db


def problems():
    return [(p.kind, p.message) for p in record_problems()]


def test_a_stance_with_no_source_is_reported():
    PositionFactory(sources=[])
    assert ("stance", "cites no source") in problems()


def test_a_source_with_no_address_and_no_reason_is_reported():
    SourceFactory(url="", url_missing_reason="")
    assert ("source", "no web address and no reason why") in problems()


def test_a_source_with_a_reason_instead_of_an_address_is_not():
    SourceFactory(url="", url_missing_reason="Television interview, not online.")
    assert problems() == []


def test_a_stance_dated_well_before_its_sources_is_reported():
    source = SourceFactory(published_on=datetime.date(2025, 11, 19))
    PositionFactory(taken_on=datetime.date(2025, 11, 1), sources=[source])
    assert ("stance", "predates all its sources (first: 2025-11-19)") in problems()


def test_a_stance_reported_next_morning_is_not():
    source = SourceFactory(published_on=datetime.date(2025, 11, 21))
    PositionFactory(taken_on=datetime.date(2025, 11, 20), sources=[source])
    assert [message for kind, message in problems() if kind == "stance"] == []


def test_commentary_in_a_point_text_is_reported():
    point = ProvisionFactory(text="The point does not specify who pays for the guarantee.")
    point.sources.add(SourceFactory())
    found = [message for kind, message in problems() if kind == "point"]
    assert found == ["commentary in the text (“The point does not”): move it to the note"]


def test_two_actors_with_one_name_are_reported():
    ActorFactory(name="Steve Witkoff", slug="steve-witkoff")
    ActorFactory(name="steve  witkoff", slug="witkoff")
    assert ("actor", "2 actors share this name (steve-witkoff, witkoff)") in problems()


def test_a_month_date_not_on_the_first_is_reported():
    SourceFactory(published_on=datetime.date(2025, 11, 19), published_on_precision=DatePrecision.MONTH)
    EventFactory(occurred_on=datetime.date(2025, 12, 3), date_precision=DatePrecision.MONTH)
    message = "A date known only to the month is stored as the 1st of that month."
    assert ("source", message) in problems()
    assert ("event", message) in problems()


def test_the_command_fails_when_there_are_problems(capsys):
    PositionFactory(sources=[])
    with pytest.raises(CommandError, match=r"3 problem\(s\) on record"):
        call_command("check_record")
    assert "cites no source" in capsys.readouterr().out


def test_the_command_says_so_when_there_are_none(capsys):
    SourceFactory()
    call_command("check_record")
    assert "0 problems on record." in capsys.readouterr().out
