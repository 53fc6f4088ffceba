import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actors.models import Position
from actors.services import position_record
from tests.factories import ActorFactory, PositionFactory, ProvisionFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_the_current_stance_is_the_latest_by_date_and_earlier_ones_stay():
    point, actor = ProvisionFactory(), ActorFactory()
    PositionFactory(actor=actor, provision=point, stance="opposes", taken_on=datetime.date(2025, 11, 21))
    PositionFactory(actor=actor, provision=point, stance="conditional", taken_on=datetime.date(2025, 11, 19))
    current = Position.objects.filter(provision=point).current()
    assert [p.stance for p in current] == ["opposes"]
    assert Position.objects.filter(provision=point).count() == 2


def test_on_the_same_date_the_later_recorded_stance_is_current():
    point, actor = ProvisionFactory(), ActorFactory()
    day = datetime.date(2025, 11, 20)
    PositionFactory(actor=actor, provision=point, stance="opposes", taken_on=day)
    PositionFactory(actor=actor, provision=point, stance="supports", taken_on=day)
    assert [p.stance for p in Position.objects.current()] == ["supports"]


def test_current_stances_are_per_actor_and_per_subject():
    point, us, ua = ProvisionFactory(), ActorFactory(), ActorFactory()
    PositionFactory(actor=us, provision=point, stance="supports")
    PositionFactory(actor=ua, provision=point, stance="opposes")
    whole = PositionFactory(actor=ua, provision=None, version=point.version, stance="mixed")
    current = {(p.actor_id, p.provision_id): p.stance for p in Position.objects.current()}
    assert current == {(us.id, point.id): "supports", (ua.id, point.id): "opposes", (ua.id, None): "mixed"}
    assert whole in Position.objects.filter(provision__isnull=True)


def test_recording_a_position_needs_a_source():
    with pytest.raises(ValidationError, match="source"):
        position_record(
            actor=ActorFactory(),
            provision=ProvisionFactory(),
            stance="supports",
            summary="Backs it",
            taken_on=datetime.date(2025, 11, 20),
            sources=[],
        )
    assert Position.objects.count() == 0


def test_recording_a_position_takes_the_version_from_the_point():
    point, source = ProvisionFactory(), SourceFactory()
    position = position_record(
        actor=ActorFactory(),
        provision=point,
        stance="conditional",
        summary="Only with guarantees",
        taken_on=datetime.date(2025, 11, 20),
        sources=[source],
    )
    assert position.version == point.version
    assert list(position.sources.all()) == [source]


def record_on(day, point=None):
    return position_record(
        actor=ActorFactory(),
        provision=point or ProvisionFactory(),
        stance="supports",
        summary="Backs it",
        taken_on=day,
        sources=[SourceFactory()],
    )


@pytest.fixture
def late_evening_utc(monkeypatch):
    """22:30 UTC on 20 November: already the 21st in Kyiv and Moscow."""
    moment = datetime.datetime(2025, 11, 20, 22, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_a_stance_dated_today_in_kyiv_is_accepted_while_it_is_still_yesterday_in_utc(late_evening_utc):
    assert record_on(datetime.date(2025, 11, 21)).taken_on == datetime.date(2025, 11, 21)


def test_a_stance_dated_after_today_everywhere_is_refused(late_evening_utc):
    with pytest.raises(ValidationError) as error:
        record_on(datetime.date(2025, 11, 22))
    assert "taken_on" in error.value.message_dict
    assert Position.objects.count() == 0
