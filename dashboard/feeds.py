"""The timeline as an Atom feed, for an analyst's feed reader.

Everything an entry says is editors' text, so it goes out as text: summaries are
`type="text"` (a reader shows `<script>` as those characters, never runs it), and
characters XML cannot carry, refused at input since, are stripped from older records.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from actors.models import Actor
from api.params import as_id
from history.text import xml_safe

from .record import Record
from .selectors.timeline import TimelineEntry, timeline

FEED_LENGTH = 50


class PlainTextAtomFeed(Atom1Feed):
    """Atom 1.0 whose entry summaries are plain text.

    Django's Atom feed marks every summary `type="html"`, telling readers to render it as
    markup: an editor's `<img onerror=…>` would run in the reader. Titles are text already.
    """

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        summary = item["description"]
        super().add_item_elements(handler, {**item, "description": None})
        if summary is not None:
            handler.addQuickElement("summary", summary, {"type": "text"})


class TimelineFeed(Feed):
    """The latest timeline entries; `?party=<id or slug>` narrows it as the page does."""

    feed_type = PlainTextAtomFeed
    subtitle = "Events, stances taken, texts published and corrections in the negotiation record."

    def get_object(self, request: HttpRequest) -> Actor | None:
        value = request.GET.get("party", "").strip()
        if not value:
            return None
        # An id or a slug, read as every page reads them (`api.params`).
        party = Actor.objects.filter(pk=as_id(value)).first() or Actor.objects.filter(slug=value).first()
        if party is None:
            raise Http404("No such party.")
        return party

    def title(self, party: Actor | None) -> str:
        return "Accord Tracker: timeline" + (f" for {xml_safe(party.name)}" if party else "")

    def link(self, party: Actor | None) -> str:
        url = reverse("provisions:timeline")
        return url + (f"?party={party.pk}" if party else "")

    def items(self, party: Actor | None) -> list[TimelineEntry]:
        return timeline(Record(), party=party, limit=FEED_LENGTH)

    def item_title(self, entry: TimelineEntry) -> str:
        return xml_safe(entry.title)

    def item_description(self, entry: TimelineEntry) -> str:
        cited = "; ".join(f"{s.publisher}: {s.title}" for s in entry.sources)
        return xml_safe(entry.body + (f"\n\nSources: {cited}" if cited else ""))

    def item_link(self, entry: TimelineEntry) -> str:
        return entry.url

    def item_guid(self, entry: TimelineEntry) -> str:
        return f"accord-tracker:{entry.kind}:{entry.order}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry: TimelineEntry) -> datetime:
        return datetime.combine(entry.day, time(12), tzinfo=UTC)

    def item_updateddate(self, entry: TimelineEntry) -> datetime:
        # Atom requires <updated> on every entry; an entry is dated by the day it records.
        return self.item_pubdate(entry)

    def item_categories(self, entry: TimelineEntry) -> list[str]:
        return [entry.kind]
