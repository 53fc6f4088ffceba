"""The benchmark generator writes what production writes: history rows with their sources."""

import pytest

from actors.as_of import positions_as_of
from actors.models import Position
from history.models import Change
from history.records import end_of_day


@pytest.fixture
def generate(monkeypatch):
    import bench.generate as generator

    # Two versions per plan: the rows are the same kind as at full size, in a second.
    monkeypatch.setattr(generator, "VERSIONS_PER_PLAN", 2)
    return generator.generate


@pytest.mark.django_db
def test_generated_stances_carry_their_sources_in_history(generate):
    from django.utils import timezone

    generate(1, 7)
    past = positions_as_of(end_of_day(timezone.now().date()))
    assert len(past) == Position.objects.count() > 0
    assert all(position.source_list for position in past)


@pytest.mark.django_db
def test_every_generated_row_is_in_the_change_log(generate):
    generate(1, 7)
    assert Change.objects.filter(record_type="actors.position").count() == Position.objects.count()
