"""The review page of an import: both versions side by side, accept, reject, re-point, in one transaction."""

import datetime
import re

import pytest
from django.urls import reverse

from exchange import reviewing, services
from exchange.choices import JobStatus
from provisions.importing import import_text
from provisions.models import Lineage, Provision
from tests.exchange.conftest import fixture_text
from tests.factories import PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(editor, django_capture_on_commit_callbacks):
    plan = PlanFactory(slug="us-plan", name="US plan")
    draft = import_text(
        plan=plan, label="28-point draft", dated=datetime.date(2025, 11, 20), text=fixture_text("draft_28_points.txt")
    ).version
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_submit(
            plan=plan,
            label="20-point framework",
            dated=datetime.date(2025, 12, 24),
            text=fixture_text("eval/framework_20_points.txt"),
            revises=draft,
            user=editor,
        )
    job.refresh_from_db()
    assert job.status == JobStatus.IMPORTED
    return job


def review_url(job):
    return reverse("admin:exchange_importjob_review", args=[job.pk])


def link(job, new, old):
    return Lineage.objects.get(provision__version=job.version, provision__number=new, derives_from__number=old)


def test_the_review_page_shows_both_versions_each_link_with_score_relation_reason_and_diff(job, editor_client):
    response = editor_client.get(review_url(job))
    assert response.status_code == 200
    page = response.content.decode()
    army = link(job, "4", "6")
    assert f'data-link="{army.pk}"' in page
    assert "renumbered 6 → 4" in page and "Reworded" in page
    # The diff marks whole phrases: "be limited to 600,000" gave way to "remain at 800,000 …".
    assert re.search(r"<del>[^<]*600,000[^<]*</del>", page) and re.search(r"<ins>[^<]*800,000[^<]*</ins>", page)
    assert "New points with no earlier point" in page and "10. " in page
    assert (
        "Review the links"
        in editor_client.get(reverse("admin:exchange_importjob_change", args=[job.pk])).content.decode()
    )


def test_accepting_all_above_a_threshold_confirms_those_links_with_history(job, editor_client, editor):
    response = editor_client.post(review_url(job), {"threshold": "0.5", "accept_above": "1"}, follow=True)
    assert "Accepted" in response.content.decode()
    links = Lineage.objects.filter(provision__version=job.version)
    assert links.filter(confirmed=True).count() == links.filter(similarity__gte=0.5).count() > 0
    assert not links.filter(confirmed=True, similarity__lt=0.5).exists()
    assert link(job, "4", "6").history.first().history_user == editor


def test_accept_reject_and_repoint_one_link_each_in_one_post(job, editor_client):
    accepted, rejected, repointed = link(job, "1", "1"), link(job, "2", "2"), link(job, "3", "5")
    old_4 = Provision.objects.get(version=job.revises, number="4")
    response = editor_client.post(
        review_url(job),
        {
            f"action-{accepted.pk}": "accept",
            f"action-{rejected.pk}": "reject",
            f"point-{repointed.pk}": str(old_4.pk),
        },
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    repointed.refresh_from_db()
    assert accepted.confirmed and not Lineage.objects.filter(pk=rejected.pk).exists()
    assert (repointed.derives_from, repointed.confirmed) == (old_4, True)
    assert "Re-pointed by the editor from 5 to 4" in repointed.note
    assert repointed.history.filter(history_type="~").exists()


def test_repointing_to_a_point_of_another_version_is_a_form_error_and_saves_nothing(job, editor_client):
    accepted, wrong = link(job, "1", "1"), link(job, "3", "5")
    stranger = Provision.objects.get(version=job.version, number="10")  # a point of the new version
    response = editor_client.post(
        review_url(job), {f"action-{accepted.pk}": "accept", f"point-{wrong.pk}": str(stranger.pk)}
    )
    assert response.status_code == 200
    assert "is not a point of “28-point draft”" in response.content.decode()
    accepted.refresh_from_db()
    wrong.refresh_from_db()
    assert not accepted.confirmed and wrong.derives_from.number == "5"  # nothing half-saved


def test_a_threshold_out_of_range_is_a_form_error(job, editor_client):
    response = editor_client.post(review_url(job), {"threshold": "3", "accept_above": "1"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Lineage.objects.filter(provision__version=job.version, confirmed=True).exists()


def test_the_review_page_needs_an_editor(job, client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(review_url(job)).status_code == 403


def test_a_published_import_is_shown_but_not_reviewed(job, editor):
    services.import_job_publish(job=job, user=editor)
    job.refresh_from_db()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="awaiting review"):
        reviewing.import_job_review(job=job, accept_above=0)


def test_links_of_another_import_are_refused(job):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not links of this import"):
        reviewing.import_job_review(job=job, decisions={10**6: {"action": "accept"}})
