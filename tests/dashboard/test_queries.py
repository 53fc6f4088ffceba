"""Each page runs a fixed number of SQL queries, whatever the amount of data."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor
from provisions.models import Provision, Source, Version
from tests.dashboard.conftest import grow, point

pytestmark = pytest.mark.django_db

# No page may need more than this, live or as of a date (issue 12)...
CEILING = 8
# ...except these, pinned at the lowest reached so far: (page, mode) -> queries. None left: as
# of a date, a page's frame (actors, versions) is one `history.records.read_as_of` call and its
# bounded readers another (`Record.read_ahead`), two queries each, whatever the data.
BUDGETS: dict[tuple[str, str], int] = {}


def page_urls(draft: Version) -> dict[str, str]:
    revision = Version.objects.get(revises=draft)
    ukraine = Actor.objects.get(short_code="UA")
    grown_point = Provision.objects.filter(version=draft).order_by("id").last()
    return {
        "overview": f"/?version={draft.pk}",
        "points": f"/provisions/?version={draft.pk}",
        "points filtered": f"/provisions/?version={draft.pk}&party={ukraine.pk}&stance=opposes&q=point",
        "point 21": point(draft, "21").get_absolute_url(),
        "grown point": grown_point.get_absolute_url(),
        "compare": reverse("provisions:version_compare", args=[draft.pk, revision.pk]),
        "compare picker": reverse("provisions:compare_picker"),
        "territories": f"/territories/?version={draft.pk}",
        "timeline": "/timeline/",
        "timeline of a party": f"/timeline/?party={ukraine.pk}",
        "feed": reverse("provisions:timeline_feed"),
        "convergence": f"/convergence/?version={draft.pk}",
        "parties": f"/actors/?version={draft.pk}",
        "party": f"{ukraine.get_absolute_url()}?version={draft.pk}",
        "source": reverse("provisions:source_detail", args=[Source.objects.order_by("id").first().pk]),
    }


def count_queries(client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("as_of", [None, "today"], ids=["live", "as-of"])
def test_every_page_runs_the_same_number_of_queries_at_two_data_sizes(
    client, draft, as_of, django_assert_max_num_queries
):
    mode = "as-of" if as_of else "live"
    params = {"as_of": datetime.date.today().isoformat()} if as_of else {}
    # SQLite's one-off probe of its JSON support (once per connection, not per page) runs now.
    assert connection.features.supports_json_field
    grow(draft, 1)
    urls = page_urls(draft)
    small = {name: count_queries(client, url, params) for name, url in urls.items()}
    over = {name: n for name, n in small.items() if n > BUDGETS.get((name, mode), CEILING)}
    assert not over, f"{mode}: over budget {over}; all pages {small}"

    grow(draft, 5)  # six times as much of everything
    for name, url in urls.items():
        with django_assert_max_num_queries(small[name], info=f"{name} ({url})"):
            assert client.get(url, params).status_code == 200
