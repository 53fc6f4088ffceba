"""Parties and people: where each stands across the points, and what they said and did."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from provisions import dashboard
from provisions.dashboard import Record
from provisions.views import version_from_request, with_record


@with_record
def actor_list(request: HttpRequest, record: Record) -> HttpResponse:
    version = version_from_request(request, record)
    points = record.points(version) if version is not None else []
    summaries = dashboard.party_summaries(record, version, points)
    context = {
        "version": version,
        "versions": record.versions(),
        "principal": [s for s in summaries if s.actor.is_principal],
        "others": [s for s in summaries if not s.actor.is_principal and s.actor.represents_id is None],
        "people": [s for s in summaries if s.actor.represents_id is not None],
        "stances": dashboard.STANCE_LETTERS,
    }
    return render(request, "actors/actor_list.html", context)


@with_record
def actor_detail(request: HttpRequest, record: Record, pk: int) -> HttpResponse:
    actor = record.actors().get(pk)
    if actor is None:
        raise Http404("No such party or person on record.")
    version = version_from_request(request, record)
    profile = dashboard.actor_profile(record, actor, version)
    return render(
        request,
        "actors/actor_detail.html",
        {"actor": actor, "profile": profile, "version": version, "versions": record.versions()},
    )
