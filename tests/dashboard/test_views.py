"""Every dashboard page: real content from the demo, filters, `as_of`, empty states, bad input."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from actors.models import Actor, Position
from provisions.models import Source, Territory, Version
from provisions.services import provision_update
from tests.dashboard.conftest import point
from tests.factories import ProvisionFactory, VersionFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


# --- Overview ------------------------------------------------------------------------------


def test_overview_shows_the_28_point_draft_with_its_stance_matrix(client, draft):
    response = client.get("/")
    assert response.status_code == 200
    body = html(response)
    assert "28-point draft" in body
    assert response.context["version"] == draft
    matrix = response.context["matrix"]
    assert len(matrix.rows) == 28
    assert [party.short_code for party in matrix.parties] == ["US", "RU", "UA", "EU"]
    row21 = next(row for row in matrix.rows if row.point.number == "21")
    assert [cell.stance for cell in row21.cells] == ["supports", "none", "opposes", "none"]
    # Stance cells carry a letter and lead to the point.
    assert f'href="{reverse("provisions:provision_detail", args=[row21.point.pk])}"' in body
    assert 'class="stance stance-opposes"' in body


def test_overview_shows_each_partys_stance_on_the_version_as_a_whole(client, draft):
    whole = {cell.party.short_code: cell.stance for cell in client.get("/").context["matrix"].whole}
    assert whole == {"US": "supports", "RU": "unclear", "UA": "opposes", "EU": "mixed"}


def test_overview_matrix_has_a_skip_link_past_it_for_keyboard_users(client, draft):
    body = html(client.get("/"))
    assert '<a class="skip skip-inline" href="#after-matrix">Skip past the matrix</a>' in body
    assert body.index('id="after-matrix"') > body.index("</table>", body.index('class="matrix"'))


def test_overview_counts_points_by_status_and_topic(client, draft):
    context = client.get("/").context
    assert {t.value: t.count for t in context["statuses"]} == {"proposed": 25, "disputed": 3}
    topics = {t.value: t.count for t in context["topics"]}
    assert topics["security_guarantees"] == 8 and topics["ceasefire"] == 1


def test_overview_lists_latest_changes_and_recent_events(client, draft):
    context = client.get("/").context
    assert len(context["changes"]) == 8
    assert all(item.label for item in context["changes"])
    assert [e.occurred_on for e in context["events"]] == sorted(
        (e.occurred_on for e in context["events"]), reverse=True
    )


def test_overview_defaults_to_the_latest_version_with_points_and_switches(client, draft, revision):
    assert client.get("/").context["version"] == revision
    response = client.get("/", {"version": draft.pk})
    assert response.context["version"] == draft
    assert response.context["previous"] is None
    assert client.get("/").context["previous"] == draft


def test_overview_defaults_to_the_main_plan_not_a_later_counter_proposal(client, draft):
    from provisions.models import Plan

    answer = Plan.objects.create(name="A later counter-proposal", slug="later-answer", answers=draft.plan)
    counter = VersionFactory(plan=answer, label="Counter text", dated=datetime.date(2025, 11, 30))
    ProvisionFactory(version=counter, number="1")
    response = client.get("/")
    assert response.context["version"] == draft
    assert client.get("/", {"version": counter.pk}).context["version"] == counter
    assert f'<option value="{counter.pk}"' in html(response)  # still in the switcher


def test_overview_falls_back_to_a_counter_proposal_when_no_main_plan_has_points(client, db):
    from provisions.models import Plan

    main = Plan.objects.create(name="Main", slug="main")
    VersionFactory(plan=main, label="Announced, no text", dated=datetime.date(2025, 11, 20))
    answer = Plan.objects.create(name="Answer", slug="answer", answers=main)
    counter = VersionFactory(plan=answer, label="Counter text", dated=datetime.date(2025, 11, 19))
    ProvisionFactory(version=counter, number="1")
    assert client.get("/").context["version"] == counter


def test_overview_of_a_version_without_points_is_an_empty_state(client, draft):
    counter = Version.objects.get(label="Counter-proposal taken to Ankara")
    response = client.get("/", {"version": counter.pk})
    assert response.status_code == 200
    assert "has no points on record" in html(response)
    whole = {cell.party.short_code: cell.stance for cell in response.context["matrix"].whole}
    assert whole == {"US": "opposes", "RU": "opposes", "UA": "supports", "EU": "supports"}


def test_overview_with_nothing_on_record(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "No plan on record yet" in html(response)


def test_unknown_version_is_a_404_and_a_malformed_one_a_400(client, draft):
    assert client.get("/", {"version": 99999}).status_code == 404
    response = client.get("/", {"version": "abc"})
    assert response.status_code == 400
    assert "not a valid version" in html(response)


def test_latest_changes_and_timeline_describe_territory_and_control_figure_edits(client, draft, editor):
    from history.writing import save_recorded
    from provisions.models import ControlObservation

    donbas = Territory.objects.get(slug="donbas")
    donbas.name = "Donbas region"
    save_recorded(donbas, user=editor)
    figure = ControlObservation.objects.filter(territory=donbas).first()
    figure.note = "Checked again."
    save_recorded(figure, user=editor)
    response = client.get("/")
    assert response.status_code == 200
    labels = [item.label for item in response.context["changes"]]
    assert "Territory: Donbas region" in labels and "Control figures: Donbas region" in labels
    edits = [e.title for e in client.get("/timeline/").context["entries"] if e.kind == "edit"]
    assert "Territory: Donbas region" in edits and "Control figures: Donbas region" in edits


def test_overview_as_of_a_day_when_only_territories_were_recorded(client, draft):
    # The demo records the territories before any plan: their creation is the latest change.
    response = client.get("/", {"as_of": "2025-08-01"})
    assert response.status_code == 200
    assert any(item.label.startswith("Territory: ") for item in response.context["changes"])


# --- As of ---------------------------------------------------------------------------------


def test_as_of_shows_a_banner_with_a_link_back_to_today(client, draft):
    body = html(client.get("/", {"as_of": "2025-11-19"}))
    assert "Showing the record as of" in body and "19 November 2025" in body
    assert "Back to today" in body


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "2999-01-01", "20251120"])
def test_a_malformed_or_future_as_of_is_a_400_with_a_clear_message(client, draft, value):
    for url in ["/", "/provisions/", "/territories/", "/timeline/", "/convergence/", "/actors/"]:
        response = client.get(url, {"as_of": value})
        assert response.status_code == 400
        assert "Cannot show the record as of that date" in html(response)


def test_as_of_before_anything_was_recorded_is_empty(client, draft):
    response = client.get("/", {"as_of": "2024-01-01"})
    assert response.status_code == 200
    assert "No plan on record yet" in html(response)


def test_as_of_shows_only_the_versions_on_record_that_day(client, draft):
    # The 28-point text was recorded on 20 November; on the 19th only the counter-proposal was.
    assert client.get("/", {"as_of": "2025-11-19"}).context["version"].label == "Counter-proposal taken to Ankara"
    assert client.get("/", {"as_of": "2025-11-20"}).context["version"] == draft


def test_as_of_shows_the_stances_held_on_that_day(client, draft):
    ukraine = Actor.objects.get(short_code="UA")
    Position.objects.create(
        actor=ukraine,
        version=draft,
        provision=point(draft, "6"),
        stance="conditional",
        summary="Could live with a higher cap.",
        taken_on=datetime.date(2025, 11, 22),
    )

    def row6(params):
        matrix = client.get("/", params).context["matrix"]
        return [c.stance for c in next(row for row in matrix.rows if row.point.number == "6").cells]

    assert row6({}) == ["supports", "none", "conditional", "none"]
    assert row6({"as_of": "2025-11-20"}) == ["supports", "none", "opposes", "none"]


def test_as_of_shows_a_point_as_it_was_worded_then(client, draft, editor):
    six = point(draft, "6")
    provision_update(provision=six, title="Army capped at 800,000", user=editor)
    today = datetime.date.today().isoformat()
    assert "Army capped at 800,000" in html(client.get(six.get_absolute_url()))
    assert "Ukrainian armed forces capped at 600,000" in html(
        client.get(six.get_absolute_url(), {"as_of": "2025-11-20"})
    )
    assert "Army capped at 800,000" in html(client.get(six.get_absolute_url(), {"as_of": today}))


def test_links_keep_the_as_of_date(client, draft):
    body = html(client.get("/", {"as_of": "2025-11-20"}))
    six = point(draft, "6")
    assert f"{six.get_absolute_url()}?as_of=2025-11-20" in body


# --- Points list ---------------------------------------------------------------------------


def numbers(response) -> list[str]:
    return [row.point.number for row in response.context["rows"]]


def test_points_list_shows_every_point_of_the_version_in_focus(client, draft):
    response = client.get("/provisions/")
    assert response.status_code == 200
    assert numbers(response) == [str(n) for n in range(1, 29)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"topic": "nuclear"}, ["17", "18", "19"]),
        ({"status": "disputed"}, ["6", "20", "21"]),
        ({"territory": "donbas"}, ["21"]),
        ({"territory": "dnieper"}, ["23"]),
        ({"q": "nato troops"}, ["8"]),
        ({"q": "600,000"}, ["6"]),
        ({"stance": "opposes"}, ["6", "20", "21"]),
        ({"topic": "nuclear", "status": "disputed"}, []),
    ],
)
def test_points_list_filters(client, draft, params, expected):
    assert numbers(client.get("/provisions/", params)) == expected


def test_points_list_filters_by_party_and_stance(client, draft):
    us, ukraine = Actor.objects.get(short_code="US"), Actor.objects.get(short_code="UA")
    assert numbers(client.get("/provisions/", {"party": us.pk})) == ["5", "6", "10", "21"]
    assert numbers(client.get("/provisions/", {"party": ukraine.pk, "stance": "opposes"})) == ["6", "20", "21"]
    assert len(numbers(client.get("/provisions/", {"party": ukraine.pk, "stance": "none"}))) == 25


def test_a_person_stance_counts_for_their_party_when_the_party_has_none(client, draft):
    russia, peskov = Actor.objects.get(short_code="RU"), Actor.objects.get(slug="dmitry-peskov")
    five = point(draft, "5")
    Position.objects.create(
        actor=peskov,
        version=draft,
        provision=five,
        stance="conditional",
        summary="If…",
        taken_on=datetime.date(2025, 11, 20),
    )
    response = client.get("/provisions/", {"party": russia.pk, "stance": "conditional"})
    assert numbers(response) == ["5"]
    cell = response.context["rows"][0].cells[1]
    assert cell.via == peskov
    assert "voiced by Dmitry Peskov" in html(response)


def test_points_list_filters_live_in_the_url_of_the_form(client, draft):
    body = html(client.get("/provisions/", {"topic": "nuclear"}))
    assert '<option value="nuclear" selected>' in body
    assert 'method="get"' in body


def test_points_list_filters_by_a_party_outside_the_matrix_and_shows_its_column(client, draft):
    turkey = Actor.objects.get(slug="turkey")
    Position.objects.create(
        actor=turkey,
        version=draft,
        provision=point(draft, "2"),
        stance="supports",
        summary="Ankara backs it.",
        taken_on=datetime.date(2025, 11, 22),
    )
    response = client.get("/provisions/", {"version": draft.pk, "party": turkey.pk, "stance": "supports"})
    assert response.status_code == 200
    assert numbers(response) == ["2"]
    assert response.context["matrix"].parties[-1] == turkey
    assert "and Turkey’s current stance" in html(response)


def test_points_list_filters_by_a_persons_own_stances(client, draft):
    zelensky = Actor.objects.get(slug="volodymyr-zelensky")
    Position.objects.create(
        actor=zelensky,
        version=draft,
        provision=point(draft, "3"),
        stance="conditional",
        summary="If…",
        taken_on=datetime.date(2025, 11, 22),
    )
    response = client.get("/provisions/", {"version": draft.pk, "party": zelensky.pk, "stance": "conditional"})
    assert response.status_code == 200
    assert numbers(response) == ["3"]


def test_every_points_link_on_a_party_page_is_accepted_by_the_filter(client, draft):
    import re

    from django.http import QueryDict

    from dashboard.record import Record
    from dashboard.selectors.parties import actor_groups
    from dashboard.views import PointFilterForm

    record = Record()
    for actor in Actor.objects.all():
        body = html(client.get(actor.get_absolute_url()))
        links = sorted(set(re.findall(r'href="(/provisions/\?[^"]+)"', body)))
        assert links, actor.name
        # Every link passes the list's own filter form (what decides between the list and a 400)...
        for link in links:
            query = QueryDict(link.split("?", 1)[1].replace("&amp;", "&"))
            form = PointFilterForm(query, territories=record.territories(), parties=actor_groups(record))
            assert form.is_valid(), (actor.name, link, form.errors)
        # ...and the list itself answers one of them (rendering each would cost a page per link).
        assert client.get(links[0].replace("&amp;", "&")).status_code == 200, (actor.name, links[0])


def test_points_list_rejects_unknown_filter_values_with_a_400(client, draft):
    for params in ({"topic": "zzz"}, {"party": "999999"}, {"stance": "loves"}, {"territory": "atlantis"}):
        response = client.get("/provisions/", params)
        assert response.status_code == 400
        assert "These filters cannot be used" in html(response)


def test_points_list_of_the_past_filters_the_same_way(client, draft):
    ukraine = Actor.objects.get(short_code="UA")
    Position.objects.create(
        actor=ukraine,
        version=draft,
        provision=point(draft, "1"),
        stance="opposes",
        summary="Not as worded.",
        taken_on=datetime.date(2025, 11, 22),
    )
    params = {"party": ukraine.pk, "stance": "opposes"}
    assert numbers(client.get("/provisions/", params)) == ["1", "6", "20", "21"]
    assert numbers(client.get("/provisions/", {**params, "as_of": "2025-11-20"})) == ["6", "20", "21"]


def test_points_list_with_no_match_says_so(client, draft):
    response = client.get("/provisions/", {"q": "unicorns"})
    assert "No point matches these filters." in html(response)


# --- Point page ----------------------------------------------------------------------------


def test_point_page_shows_text_status_territories_stances_and_sources(client, draft):
    twenty_one = point(draft, "21")
    response = client.get(twenty_one.get_absolute_url())
    assert response.status_code == 200
    body = html(response)
    assert "Territorial arrangements" in body and "Disputed" in body
    assert "Recognized as Russian de facto" in body and "Demilitarized zone" in body
    detail = response.context["detail"]
    assert {c.party.short_code: c.stance for c in detail.party_cells} == {
        "US": "supports",
        "RU": "none",
        "UA": "opposes",
        "EU": "none",
    }
    seed = Source.objects.get(publisher="Translated news report")
    assert reverse("provisions:source_detail", args=[seed.pk]) in body


def test_point_page_shows_competing_accounts_side_by_side(client, draft):
    body = html(client.get(point(draft, "21").get_absolute_url()))
    assert "What share of Donbas does Ukraine still control?" in body
    assert "Ukraine still controls 12% of the Donbas region." in body
    assert "Ukraine still controls about 14.5% of Donbas." in body


def test_point_page_shows_earlier_stances(client, draft):
    twenty_one = point(draft, "21")
    ukraine = Actor.objects.get(short_code="UA")
    Position.objects.create(
        actor=ukraine,
        version=draft,
        provision=twenty_one,
        stance="conditional",
        summary="Could accept a freeze.",
        taken_on=datetime.date(2025, 11, 22),
    )
    detail = client.get(twenty_one.get_absolute_url()).context["detail"]
    history = next(item for item in detail.stances if item.actor == ukraine)
    assert history.current.stance == "conditional"
    assert [p.stance for p in history.earlier] == ["opposes"]


def test_point_page_shows_the_history_of_edits_with_a_diff(client, draft, editor):
    six = point(draft, "6")
    provision_update(provision=six, text=six.text.replace("600,000", "800,000"), user=editor)
    response = client.get(six.get_absolute_url())
    edits = response.context["detail"].edits
    assert [e.action for e in edits] == ["updated", "created"]
    assert edits[0].changed == ["text"]
    assert "<ins>800,000" in html(response) and "<del>600,000" in html(response)


def test_point_page_shows_lineage_with_word_diffs(client, draft, revision):
    six = point(draft, "6")
    detail = client.get(six.get_absolute_url()).context["detail"]
    # Other versions (counter-proposals in the demo) may derive from point 6 as well.
    later = {entry.step.provision.version: entry for entry in detail.later}
    assert revision in later
    assert any(seg.op == "insert" and "800,000" in seg.text for seg in later[revision].diff)
    reworded = point(revision, "2")
    back = client.get(reworded.get_absolute_url()).context["detail"].earlier
    assert [entry.step.provision.number for entry in back] == ["6"]


def test_point_page_marks_a_link_the_importer_proposed_until_an_editor_confirms_it(client, draft, revision):
    from provisions.models import Lineage

    reworded = point(revision, "2")
    link = Lineage.objects.get(provision=reworded)
    assert "Proposed link" not in html(client.get(reworded.get_absolute_url()))
    Lineage.objects.filter(pk=link.pk).update(confirmed=False, similarity=0.82)
    body = html(client.get(reworded.get_absolute_url()))
    assert "Proposed link · 0.82" in body
    assert "Proposed link" in html(client.get(point(draft, "6").get_absolute_url()))


def test_point_page_of_a_point_with_no_stance(client, draft):
    lone = ProvisionFactory(version=draft, number="99", title="A point nobody mentions")
    body = html(client.get(lone.get_absolute_url()))
    assert "No party or person has a stance on this point on record." in body
    assert "No earlier or later version of this point is linked." in body


def test_unknown_point_is_a_404_page(client, draft):
    response = client.get("/provisions/999999/")
    assert response.status_code == 404
    assert "Not found" in html(response)


def test_a_point_not_yet_on_record_on_that_date_is_a_404(client, draft, revision):
    assert client.get(point(revision, "4").get_absolute_url(), {"as_of": "2025-11-20"}).status_code == 404


# --- Compare -------------------------------------------------------------------------------


def test_compare_follows_lineage_added_removed_changed_unchanged(client, draft, revision):
    response = client.get(reverse("provisions:version_compare", args=[draft.pk, revision.pk]))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.counts == {"added": 1, "removed": 24, "changed": 2, "unchanged": 1, "unknown": 0}
    body = html(response)
    assert "<ins>800,000" in body and "<del>600,000" in body
    assert "merged" in body


def test_compare_picker_redirects_to_the_comparison(client, draft, revision):
    today = datetime.date.today().isoformat()
    response = client.get(reverse("provisions:compare_picker"), {"a": draft.pk, "b": revision.pk, "as_of": today})
    assert response.status_code == 302
    assert response.url == reverse("provisions:version_compare", args=[draft.pk, revision.pk]) + f"?as_of={today}"
    picker = client.get(reverse("provisions:compare_picker"))
    assert picker.context["old"] == draft and picker.context["new"] == revision


def test_compare_picker_with_the_newer_version_first_goes_to_the_comparison_from_the_older(client, draft, revision):
    response = client.get(reverse("provisions:compare_picker"), {"a": revision.pk, "b": draft.pk})
    assert response.url == reverse("provisions:version_compare", args=[draft.pk, revision.pk])


def test_compare_picker_defaults_to_the_latest_version_and_the_one_it_revises(client, demo_data):
    # The version in focus (the 28-point draft) revises nothing: the latest version that does
    # is the E3 counter-proposal, which revises the draft.
    picker = client.get(reverse("provisions:compare_picker"))
    e3 = Version.objects.get(label="E3 counter-proposal")
    assert (picker.context["old"].label, picker.context["new"].label) == ("28-point draft", "E3 counter-proposal")
    assert e3.revises == picker.context["old"]
    body = html(picker)
    assert f'<option value="{picker.context["old"].pk}" selected>' in body
    assert f'<option value="{e3.pk}" selected>' in body


def test_compare_newer_first_redirects_to_the_comparison_from_the_older_version(client, draft, revision):
    response = client.get(reverse("provisions:version_compare", args=[revision.pk, draft.pk]))
    assert response.status_code == 302
    assert response.url == reverse("provisions:version_compare", args=[draft.pk, revision.pk])
    followed = client.get(response.url)
    assert followed.context["old"] == draft and followed.context["new"] == revision
    assert followed.context["comparison"].counts["changed"] == 2


@pytest.mark.parametrize("newer_first", [False, True], ids=["older first", "newer first"])
@pytest.mark.parametrize("newer", ["E3 counter-proposal", "Revised draft"])
def test_dashboard_and_api_compare_give_the_same_counts_in_either_order(client, draft, revision, newer, newer_first):
    other = Version.objects.get(label=newer)
    a, b = (other, draft) if newer_first else (draft, other)
    page = client.get(reverse("provisions:version_compare", args=[a.pk, b.pk]), follow=True)
    api = client.get(f"/api/v1/versions/{a.pk}/compare/{b.pk}/").json()
    assert page.context["comparison"].counts == api["counts"]
    assert (page.context["old"].pk, page.context["new"].pk) == (api["old_version"]["id"], api["new_version"]["id"])
    shown = html(page)
    for kind, count in api["counts"].items():
        if count:
            assert f'href="#{kind}">{count} {kind}</a>' in shown


def test_compare_as_of_a_date_uses_the_texts_of_that_date(client, draft, revision, editor):
    six = point(draft, "6")
    provision_update(provision=six, text="Rewritten today.", user=editor)
    url = reverse("provisions:version_compare", args=[draft.pk, revision.pk])
    today = client.get(url).context["comparison"]
    then = client.get(url, {"as_of": datetime.date.today().isoformat()}).context["comparison"]
    assert [c.old[0].text for c in today.changes if c.new and c.new.number == "2"] == ["Rewritten today."]
    assert [c.old[0].text for c in then.changes if c.new and c.new.number == "2"] == ["Rewritten today."]
    before = client.get(url, {"as_of": "2025-11-20"})
    assert before.status_code == 404  # the revision was not on record yet


def test_compare_of_a_version_with_itself_shows_every_point_unchanged(client, draft):
    response = client.get(reverse("provisions:version_compare", args=[draft.pk, draft.pk]))
    assert response.status_code == 200
    counts = response.context["comparison"].counts
    assert counts["unchanged"] == draft.provisions.count() and counts["added"] == counts["removed"] == 0
    assert "compares the version with itself" in html(response)


def test_compare_with_an_unknown_version_is_a_404(client, draft):
    assert client.get(reverse("provisions:version_compare", args=[draft.pk, 99999])).status_code == 404


# --- Territories ---------------------------------------------------------------------------


def test_territories_map_and_table(client, draft):
    response = client.get("/territories/")
    assert response.status_code == 200
    body = html(response)
    assert "<svg" in body and 'class="map"' in body
    rows = {row.territory.slug: row for row in response.context["rows"]}
    assert rows["donetsk"].codes == ["demilitarized_zone", "recognized_russian_de_facto"]
    assert rows["zaporizhzhia-npp"].codes == ["international_supervision"]
    assert {str(o.ukraine_share) for o in rows["donbas"].observations} == {"12.00", "14.50"}
    assert "stripes-donetsk" in body  # two dispositions: striped
    assert "Ukraine 12%" in body and "Ukraine 14.5%" in body
    assert ">UA 12% / 14.5%</text>" in body  # the current control shares on the map


def test_territories_of_a_version_without_points(client, draft):
    counter = Version.objects.get(label="Counter-proposal taken to Ankara")
    response = client.get("/territories/", {"version": counter.pk})
    assert response.status_code == 200
    assert all(not row.dispositions for row in response.context["rows"])
    assert "Nothing proposed in this version." in html(response)


def test_territories_as_of_a_date(client, draft):
    # Territories were on record before any control figure or draft: none is shown yet.
    response = client.get("/territories/", {"as_of": "2025-11-18"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 10
    assert not any(row.observations or row.dispositions for row in response.context["rows"])
    rows = client.get("/territories/", {"as_of": "2025-11-20"}).context["rows"]
    assert len(next(row for row in rows if row.territory.slug == "donbas").observations) == 2


# --- Parties -------------------------------------------------------------------------------


def test_parties_list_counts_stances(client, draft):
    response = client.get("/actors/")
    assert response.status_code == 200
    principal = {s.actor.short_code: s.counts for s in response.context["principal"]}
    assert principal["US"]["supports"] == 4 and principal["US"]["none"] == 24
    assert principal["UA"]["opposes"] == 3
    people = {s.actor.slug for s in response.context["people"]}
    assert "volodymyr-zelensky" in people


def test_party_page_shows_stances_and_its_record_over_time(client, draft):
    ukraine = Actor.objects.get(short_code="UA")
    response = client.get(ukraine.get_absolute_url())
    assert response.status_code == 200
    profile = response.context["profile"]
    assert [point.number for point, cell in profile.cells if cell.position] == ["6", "20", "21"]
    kinds = {entry.kind for entry in profile.entries}
    assert {"event", "stance", "account"} <= kinds
    assert "Zelensky meets Erdoğan in Ankara" in html(response)


def test_person_page_counts_their_own_stances(client, draft):
    zelensky = Actor.objects.get(slug="volodymyr-zelensky")
    profile = client.get(zelensky.get_absolute_url()).context["profile"]
    assert profile.summary.whole.stance == "conditional"
    assert profile.summary.counts["none"] == 28


def test_party_page_without_a_stance_on_any_point_says_so_instead_of_an_empty_table(client, draft):
    from tests.factories import ActorFactory

    newcomer = ActorFactory(name="Newcomer state", kind="state")
    body = html(client.get(newcomer.get_absolute_url(), {"version": draft.pk}))
    section = body.split('id="points"')[1].split("</section>")[0]
    assert "<table" not in section
    assert "Newcomer state has no stance on record on any point of the 28-point draft" in section


def test_unknown_party_is_a_404(client, draft):
    assert client.get("/actors/99999/").status_code == 404


# --- Timeline and feed ---------------------------------------------------------------------


def test_timeline_lists_events_stances_versions_and_accounts_newest_first(client, draft):
    response = client.get("/timeline/")
    entries = response.context["entries"]
    assert {"event", "stance", "version", "account"} <= {e.kind for e in entries}
    assert [e.day for e in entries] == sorted((e.day for e in entries), reverse=True)
    assert "Second Istanbul round" in html(response)


def test_timeline_shows_corrections_but_not_the_initial_recording(client, draft, editor):
    assert not [e for e in client.get("/timeline/").context["entries"] if e.kind == "edit"]
    provision_update(provision=point(draft, "6"), status="agreed", user=editor)
    edits = [e for e in client.get("/timeline/").context["entries"] if e.kind == "edit"]
    assert [e.title for e in edits] == ["28-point draft · point 6: Ukrainian armed forces capped at 600,000"]
    assert "status: " in edits[0].body and " → agreed" in edits[0].body


def test_timeline_filters_by_party_including_the_people_who_speak_for_it(client, draft):
    russia = Actor.objects.get(short_code="RU")
    entries = client.get("/timeline/", {"party": russia.pk}).context["entries"]
    titles = " ".join(e.title for e in entries)
    assert "Peskov: Moscow is open to negotiations" in titles
    assert "Dmitry Peskov: unclear" in titles
    assert "Zelensky meets Erdoğan" not in titles


def test_timeline_of_a_person_selects_them_in_the_party_picker(client, draft):
    zelensky = Actor.objects.get(slug="volodymyr-zelensky")
    body = html(client.get("/timeline/", {"party": zelensky.pk}))
    assert f'<option value="{zelensky.pk}" selected>Volodymyr Zelensky</option>' in body
    assert '<option value="" selected>' not in body


def test_timeline_with_an_unknown_party_is_a_404(client, draft):
    assert client.get("/timeline/", {"party": 99999}).status_code == 404


def test_atom_feed_of_the_timeline(client, draft):
    response = client.get(reverse("provisions:timeline_feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = html(response)
    assert "<feed" in body and "Peskov: Moscow is open to negotiations" in body
    russia = Actor.objects.get(short_code="RU")
    narrowed = html(client.get(reverse("provisions:timeline_feed"), {"party": russia.pk}))
    assert "Zelensky meets Erdoğan" not in narrowed and "for Russia" in narrowed
    assert client.get(reverse("provisions:timeline_feed"), {"party": "x"}).status_code == 404


def test_atom_feed_entries_each_carry_an_updated_date(client, draft):
    body = html(client.get(reverse("provisions:timeline_feed")))
    entries = body.count("<entry>")
    assert entries > 0
    assert body.count("<updated>") == entries + 1  # the feed's own, and one per entry


def test_timeline_pages_to_older_entries_instead_of_stopping_silently(client, draft, monkeypatch):
    from dashboard import views

    everything = client.get("/timeline/").context["entries"]
    monkeypatch.setattr(views, "TIMELINE_PAGE", 5)
    first = client.get("/timeline/")
    assert first.context["entries"] == everything[:5]
    assert "Older entries" in html(first) and "page=2" in html(first)
    second = client.get("/timeline/", {"page": 2})
    assert second.context["entries"] == everything[5:10]
    assert "Newer entries" in html(second)
    last = client.get("/timeline/", {"page": (len(everything) + 4) // 5})
    assert "These are the oldest entries." in html(last)


@pytest.mark.parametrize("value", ["0", "x"])
def test_timeline_with_a_bad_page_is_a_400(client, draft, value):
    response = client.get("/timeline/", {"page": value})
    assert response.status_code == 400
    assert "not a valid page" in html(response)


# --- Convergence ---------------------------------------------------------------------------


def test_convergence_chart_and_table(client, draft):
    response = client.get("/convergence/")
    assert response.status_code == 200
    series = response.context["series"]
    us = Actor.objects.get(short_code="US")
    assert [(s.day, s.supported[us.pk], s.by_all) for s in series.steps] == [
        (datetime.date(2025, 11, 19), 3, 0),
        (datetime.date(2025, 11, 20), 4, 0),
    ]
    body = html(response)
    assert "<svg" in body and "14%" in body


def test_convergence_empty_states(client, draft):
    counter = Version.objects.get(label="Counter-proposal taken to Ankara")
    assert "nothing to converge on" in html(client.get("/convergence/", {"version": counter.pk}))
    lone = VersionFactory(plan=draft.plan, label="Lone", dated=datetime.date(2025, 11, 24))
    ProvisionFactory(version=lone)
    assert "No party has taken a stance" in html(client.get("/convergence/", {"version": lone.pk}))


# --- Sources, errors -----------------------------------------------------------------------


def test_source_page_lists_what_cites_it(client, draft):
    seed = Source.objects.get(publisher="Translated news report")
    response = client.get(reverse("provisions:source_detail", args=[seed.pk]))
    assert response.status_code == 200
    citations = response.context["citations"]
    assert citations.positions and citations.events and citations.observations
    assert client.get(reverse("provisions:source_detail", args=[99999])).status_code == 404


def test_source_with_a_url_links_to_the_original(client, draft):
    seed = Source.objects.get(publisher="Translated news report")
    Source.objects.filter(pk=seed.pk).update(url="https://example.org/seed", url_missing_reason="")
    body = html(client.get(point(draft, "21").get_absolute_url()))
    assert 'href="https://example.org/seed"' in body


def test_pages_render_for_a_territory_without_map_outline(client, draft):
    Territory.objects.create(name="Kharkiv oblast", slug="kharkiv")
    body = html(client.get("/territories/"))
    assert "Not drawn: Kharkiv oblast" in body


def test_every_page_links_the_stylesheet_and_no_remote_asset(client, draft, revision):
    urls = [
        "/",
        "/provisions/",
        point(draft, "21").get_absolute_url(),
        reverse("provisions:version_compare", args=[draft.pk, revision.pk]),
        "/territories/",
        "/timeline/",
        "/convergence/",
        "/actors/",
        Actor.objects.get(short_code="UA").get_absolute_url(),
    ]
    for url in urls:
        body = html(client.get(url))
        assert "/static/dashboard/dashboard.css" in body
        assert "https://" not in body.split("<main")[0]  # no CDN or remote font in the head


def test_error_pages_render_on_their_own(client, db):
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing at this address" in html(response)


# --- Record provenance on the pages ------------------------------------------------------


def attributed_opposition(actor: Actor, version: Version, provision=None, *, on: datetime.date) -> Position:
    """A stance that someone else (a US official) attributes to `actor`, with a source."""
    position = Position.objects.create(
        actor=actor,
        version=version,
        provision=provision,
        stance="opposes",
        summary="Said to reject it.",
        taken_on=on,
        attribution="attributed",
        attributed_to="a US official speaking to Axios",
    )
    position.sources.set([Source.objects.first()])
    return position


def test_convergence_shows_each_partys_stance_on_each_version_from_draft_to_draft(client, draft):
    russia = Actor.objects.get(slug="russia")
    later = VersionFactory(plan=draft.plan, label="Later draft", dated=datetime.date(2025, 12, 24))
    attributed_opposition(russia, later, on=datetime.date(2025, 12, 26))

    response = client.get(reverse("provisions:convergence"), {"version": draft.pk})

    rows = response.context["across"]
    assert [row.version.dated for row in rows] == sorted(row.version.dated for row in rows)
    assert rows[-1].version == later
    [cell] = [c for c in rows[-1].cells if c.party == russia]
    assert cell.attributed and cell.stance == "opposes"
    body = html(response)
    assert "From draft to draft" in body
    assert "attributed by a US official speaking to Axios" in body


def test_an_attributed_stance_is_marked_in_the_matrix_and_left_out_of_the_points_filter(client, draft):
    russia = Actor.objects.get(slug="russia")
    target = point(draft, "2")
    Position.objects.filter(provision=target).delete()
    attributed_opposition(russia, draft, target, on=datetime.date(2025, 11, 22))

    overview = html(client.get(reverse("provisions:overview"), {"version": draft.pk}))
    assert 'class="stance stance-opposes attributed"' in overview
    listed = client.get(
        reverse("provisions:provision_list"), {"version": draft.pk, "party": "russia", "stance": "opposes"}
    )
    asked = client.get(
        reverse("provisions:provision_list"),
        {"version": draft.pk, "party": "russia", "stance": "opposes", "attributed": "on"},
    )
    assert target not in [row.point for row in listed.context["rows"]]
    assert target in [row.point for row in asked.context["rows"]]


def test_a_point_whose_wording_was_not_reported_says_so_and_shows_no_text(client, draft):
    target = point(draft, "3")
    provision_update(provision=target, text="", text_basis="not_reported")

    body = html(client.get(target.get_absolute_url()))

    assert "Wording not reported." in body
    assert 'class="point-text"' not in body


def test_dates_known_to_the_month_read_as_a_month_and_the_overview_gives_the_cut_off(client, draft):
    Version.objects.filter(pk=draft.pk).update(dated=datetime.date(2025, 11, 1), dated_precision="month")
    latest = Source.objects.order_by("-published_on").first().published_on

    body = html(client.get(reverse("provisions:overview"), {"version": draft.pk}))

    assert "Dated November 2025" in body
    assert f"The record goes up to <strong>{latest.day} {latest:%B %Y}</strong>" in body
