"""Every validation rule of the data model: a clear error, nothing saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actors.models import Position
from history.writing import save_recorded
from provisions.models import ControlObservation, Lineage, Provision, Source, Version
from provisions.numbering import point_sort_key
from tests.factories import (
    ActorFactory,
    ControlObservationFactory,
    ProvisionFactory,
    SourceFactory,
    TerritoryFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["ukraine_share", "russia_share"])
@pytest.mark.parametrize("value", [-1, 100.5, 150])
def test_share_outside_0_100_is_refused(field, value):
    observation = ControlObservation(
        territory=TerritoryFactory(), observed_on=datetime.date(2025, 11, 19), source=SourceFactory(), **{field: value}
    )
    with pytest.raises(ValidationError) as error:
        save_recorded(observation)
    assert field in error.value.message_dict
    assert ControlObservation.objects.count() == 0


def test_share_out_of_range_is_refused_by_the_database_too():
    observation = ControlObservationFactory.build(territory=TerritoryFactory(), source=SourceFactory())
    observation.ukraine_share = 120
    with pytest.raises(IntegrityError), transaction.atomic():
        observation.save()


def test_shares_adding_up_to_more_than_100_are_refused():
    observation = ControlObservationFactory.build(
        territory=TerritoryFactory(), source=SourceFactory(), ukraine_share=40, russia_share=70
    )
    with pytest.raises(ValidationError, match="more than 100"):
        save_recorded(observation)


def test_an_observation_needs_at_least_one_share():
    observation = ControlObservationFactory.build(
        territory=TerritoryFactory(), source=SourceFactory(), ukraine_share=None, russia_share=None
    )
    with pytest.raises(ValidationError, match="Give the share"):
        save_recorded(observation)


def test_competing_observations_of_the_same_day_are_both_kept():
    territory = TerritoryFactory()
    ControlObservationFactory(territory=territory, ukraine_share=12, russia_share=88)
    ControlObservationFactory(territory=territory, ukraine_share=14.5, russia_share=None)
    assert sorted(float(o.ukraine_share) for o in territory.control_observations.all()) == [12.0, 14.5]


@pytest.mark.parametrize(("existing", "duplicate"), [("21", "21"), ("10a", "10.a"), ("10a", "10A"), ("3", "3.")])
def test_two_points_of_one_version_cannot_share_a_number(existing, duplicate):
    version = VersionFactory()
    ProvisionFactory(version=version, number=existing)
    with pytest.raises(ValidationError) as error:
        save_recorded(Provision(version=version, number=duplicate, title="Again", text="x", topics=["territory"]))
    assert "number" in error.value.message_dict
    assert version.provisions.count() == 1


def test_the_same_number_is_fine_in_another_version():
    ProvisionFactory(number="7")
    save_recorded(Provision(version=VersionFactory(), number="7", title="NATO", text="x", topics=["nato_alliances"]))
    assert Provision.objects.filter(number="7").count() == 2


def test_sub_points_sort_after_their_point_and_before_the_next():
    numbers = ["11", "10.b", "2", "10", "10a", "1"]
    assert sorted(numbers, key=point_sort_key) == ["1", "2", "10", "10a", "10.b", "11"]


def test_points_of_a_version_come_back_in_printed_order():
    version = VersionFactory()
    for number in ["12", "2", "10b", "10", "1"]:
        ProvisionFactory(version=version, number=number)
    assert [p.number for p in version.provisions.all()] == ["1", "2", "10", "10b", "12"]


@pytest.mark.parametrize("topics", [[], ["not_a_topic"], ["nuclear", "nuclear"], "nuclear"])
def test_topics_must_come_from_the_vocabulary(topics):
    with pytest.raises(ValidationError) as error:
        save_recorded(Provision(version=VersionFactory(), number="1", title="T", text="x", topics=topics))
    assert "topics" in error.value.message_dict


def test_a_point_cannot_derive_from_itself():
    point = ProvisionFactory()
    with pytest.raises(ValidationError, match="itself"):
        save_recorded(Lineage(provision=point, derives_from=point))


def test_a_point_cannot_derive_from_a_later_version():
    early = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 20)))
    late = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    with pytest.raises(ValidationError, match="later"):
        save_recorded(Lineage(provision=early, derives_from=late))
    assert Lineage.objects.count() == 0


def test_a_point_cannot_derive_from_its_own_version():
    version = VersionFactory()
    a, b = ProvisionFactory(version=version), ProvisionFactory(version=version)
    with pytest.raises(ValidationError, match="earlier version"):
        save_recorded(Lineage(provision=b, derives_from=a))


def test_a_point_derives_from_an_earlier_version():
    early = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 20)))
    late = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    save_recorded(Lineage(provision=late, derives_from=early))
    assert list(late.derives_from.all()) == [early]
    assert list(early.derived_into.all()) == [late]


def test_a_position_cannot_be_dated_in_the_future():
    point = ProvisionFactory()
    # Tomorrow in UTC may already be today somewhere; the day after is in the future everywhere.
    later = datetime.date.today() + datetime.timedelta(days=2)
    position = Position(
        actor=ActorFactory(), provision=point, version=point.version, stance="supports", summary="s", taken_on=later
    )
    with pytest.raises(ValidationError) as error:
        save_recorded(position, m2m={"sources": [SourceFactory()]})
    assert "taken_on" in error.value.message_dict
    assert Position.objects.count() == 0


def test_a_position_on_a_point_of_another_version_is_refused():
    point = ProvisionFactory()
    position = Position(
        actor=ActorFactory(),
        provision=point,
        version=VersionFactory(),
        stance="supports",
        summary="s",
        taken_on=datetime.date(2025, 11, 20),
    )
    with pytest.raises(ValidationError) as error:
        save_recorded(position)
    assert "provision" in error.value.message_dict


@pytest.mark.parametrize("url", ["ftp://example.org/a", "javascript:alert(1)", "example.org", "file:///etc/passwd"])
def test_a_source_url_must_be_http_or_https(url):
    with pytest.raises(ValidationError) as error:
        save_recorded(Source(publisher="Axios", title="Report", url=url))
    assert "url" in error.value.message_dict
    assert Source.objects.count() == 0


def test_a_source_url_not_http_is_refused_by_the_database_too():
    source = Source(publisher="Axios", title="Report", url="ftp://example.org/a")
    with pytest.raises(IntegrityError), transaction.atomic():
        source.save()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Source(publisher="Axios", title=""),
        lambda: Provision(version=VersionFactory(), number="1", title="", text="x", topics=["territory"]),
    ],
)
def test_an_empty_title_is_refused(build):
    with pytest.raises(ValidationError) as error:
        save_recorded(build())
    assert "title" in error.value.message_dict


def test_an_empty_title_is_refused_by_the_database_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        Source(publisher="Axios", title="").save()


def test_a_version_cannot_revise_a_later_version():
    later = VersionFactory(dated=datetime.date(2025, 11, 24))
    with pytest.raises(ValidationError) as error:
        save_recorded(VersionFactory.build(plan=later.plan, dated=datetime.date(2025, 11, 20), revises=later))
    assert "revises" in error.value.message_dict


def test_version_labels_are_unique_within_a_plan():
    version = VersionFactory(label="28-point draft")
    with pytest.raises(ValidationError):
        save_recorded(VersionFactory.build(plan=version.plan, label="28-point draft"))


def linked_drafts():
    early = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 20)))
    late = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    save_recorded(Lineage(provision=late, derives_from=early))
    return early, late


def test_a_version_cannot_be_redated_before_a_version_its_points_derive_from():
    _early, late = linked_drafts()
    late.version.dated = datetime.date(2025, 11, 19)
    with pytest.raises(ValidationError) as error:
        save_recorded(late.version)
    assert "dated" in error.value.message_dict
    late.version.refresh_from_db()
    assert late.version.dated == datetime.date(2025, 11, 24)


def test_a_version_cannot_be_redated_after_a_version_whose_points_derive_from_it():
    early, _late = linked_drafts()
    early.version.dated = datetime.date(2025, 11, 25)
    with pytest.raises(ValidationError) as error:
        save_recorded(early.version)
    assert "dated" in error.value.message_dict


def test_a_version_cannot_be_redated_after_a_version_revising_it():
    earlier = VersionFactory(dated=datetime.date(2025, 11, 20))
    VersionFactory(plan=earlier.plan, dated=datetime.date(2025, 11, 24), revises=earlier)
    earlier.dated = datetime.date(2025, 11, 25)
    with pytest.raises(ValidationError) as error:
        save_recorded(earlier)
    assert "dated" in error.value.message_dict


def test_a_linked_version_can_be_redated_within_its_links():
    _early, late = linked_drafts()
    late.version.dated = datetime.date(2025, 11, 21)
    save_recorded(late.version)
    assert Version.objects.get(pk=late.version.pk).dated == datetime.date(2025, 11, 21)


def test_a_link_of_a_point_not_saved_yet_is_checked_against_its_version():
    later = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    new_point = Provision(version=VersionFactory(dated=datetime.date(2025, 11, 20)), number="1", title="T", text="x")
    with pytest.raises(ValidationError, match="later"):
        Lineage(provision=new_point, derives_from=later).clean()


@pytest.mark.parametrize("side", ["derives_from", "derived_into"])
def test_linking_points_through_the_many_to_many_is_validated_too(side):
    early = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 20)))
    late = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    with pytest.raises(ValidationError, match="later"), transaction.atomic():
        if side == "derives_from":
            early.derives_from.add(late)
        else:
            late.derived_into.add(early)
    assert Lineage.objects.count() == 0


def test_linking_points_through_the_many_to_many_records_history():
    early = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 20)))
    late = ProvisionFactory(version=VersionFactory(dated=datetime.date(2025, 11, 24)))
    late.derives_from.add(early)
    [link] = Lineage.objects.all()
    assert link.history.count() == 1
