"""The Atom feeds carry editors' text as text: no markup a reader would render, no
character XML cannot hold (issue 11, items 4 and 5)."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.db import models
from django.urls import reverse

from actors.models import Event
from tests.factories import ActorFactory, EventFactory, PositionFactory, SourceFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"

# Markup that would run or render in a feed reader that treats the text as HTML.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "]]><script>alert(1)</script><![CDATA[",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<<script>script>alert(1)<</script>/script>",
    '"><body onload=alert(1)>',
]


def feed_urls(party_pk: int) -> list[str]:
    """Every Atom feed the dashboard serves (dashboard/feeds.py), unfiltered and narrowed."""
    feed = reverse("provisions:timeline_feed")
    return [feed, f"{feed}?party={party_pk}"]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def live_tags(feed: ElementTree.Element) -> list[str]:
    """The HTML elements a reader would render from the feed's text constructs
    (RFC 4287 §3.1: `type="html"` is escaped markup, `xhtml` inline markup, `text` plain)."""
    found = []
    for element in feed.iter():
        kind = element.get("type", "text") if element.tag.removeprefix(ATOM) in TEXT_CONSTRUCTS else None
        if kind == "html":
            parser = _Tags()
            parser.feed(element.text or "")
            found += parser.tags
        elif kind == "xhtml":
            found += [child.tag for child in element.iter() if child is not element]
    return found


TEXT_CONSTRUCTS = {"title", "subtitle", "summary", "content", "rights"}


@pytest.fixture
def hostile_record(db):
    """An actor, events, a stance and sources whose every text field holds payloads."""
    actor = ActorFactory(name="<b>Party</b><script>alert(1)</script>", slug="hostile")
    for payload in PAYLOADS:
        source = SourceFactory(publisher=payload, title=payload)
        EventFactory(title=payload, description=payload, actors=[actor], sources=[source])
    PositionFactory(actor=actor, summary=" ".join(PAYLOADS), taken_on=datetime.date(2025, 11, 1))
    return actor


def test_no_live_markup_survives_in_any_feed(client, hostile_record):
    for url in feed_urls(hostile_record.pk):
        response = client.get(url)
        assert response.status_code == 200, url
        feed = ElementTree.fromstring(response.content)
        assert live_tags(feed) == [], url
        entries = feed.findall(f"{ATOM}entry")
        assert entries, url
        # The text itself arrives unchanged, as the characters the editor typed.
        titles = {entry.findtext(f"{ATOM}title") for entry in entries}
        summaries = "\n".join(entry.findtext(f"{ATOM}summary") or "" for entry in entries)
        assert set(PAYLOADS) <= titles, url
        assert all(payload in summaries for payload in PAYLOADS), url
        assert " ".join(PAYLOADS) in summaries, url  # the stance's summary


def test_feed_summaries_are_declared_plain_text(client, hostile_record):
    feed = ElementTree.fromstring(client.get(reverse("provisions:timeline_feed")).content)
    summaries = feed.findall(f"{ATOM}entry/{ATOM}summary")
    assert summaries and {summary.get("type") for summary in summaries} == {"text"}


UNSTORABLE = ["\x07", "\x1b", "\x0b", "\ufffe"]


@pytest.mark.parametrize("character", UNSTORABLE)
def test_a_record_stored_with_an_unstorable_character_does_not_take_the_feed_down(client, character):
    actor = ActorFactory(slug="bell")
    event = EventFactory(actors=[actor])
    # Stored before such characters were refused: written around validation and history.
    models.QuerySet.update(
        Event.objects.filter(pk=event.pk), title=f"Bell{character}rings", description=f"Ding{character}dong"
    )
    for url in feed_urls(actor.pk):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Bellrings" in body and "Dingdong" in body, url
        assert character not in body, url
        ElementTree.fromstring(response.content)  # well-formed XML
