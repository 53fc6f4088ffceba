"""Turning a draft's text into a version: split it into points, propose lineage, create it.

`parse_draft` and `propose_lineage` are pure (no writes) so a task can run them
while reporting progress; `create_imported_version` then writes the version, its
points and the proposed links in one transaction, so a failure leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from history.models import ChangeReason
from history.writing import save_recorded

from . import services
from .alignment import align, as_points, guess_topics
from .choices import LineageRelation, ProvisionStatus, TextBasis, Topic, VersionStatus
from .models import Lineage, Plan, Provision, Version
from .numbering import point_sort_key

# History change reasons: an imported version is created for review, and published by the
# editor later (exchange.services.import_job_publish); webhooks tell the two apart.
IMPORTED_FOR_REVIEW = ChangeReason.IMPORTED_FOR_REVIEW
IMPORT_PUBLISHED = ChangeReason.IMPORT_PUBLISHED
TITLE_MAX_WORDS = 12
TITLE_SHORT_WORDS = 8

_BOLD = re.compile(r"\*\*|__")
_HEADING = re.compile(r"^#{1,6}\s+")
# "Point 1:", "Point 10a.", "Пункт 1." ("Article 5" is left alone: drafts cite articles of other treaties).
_WORD_NUMBER = re.compile(r"^(?:point|пункт)\s+(\d{1,4}[a-z]?)(?![\w])\s*[.:)\-–—]?\s*(.*)$", re.IGNORECASE)
# "1.", "1)", "1:", "10a.", "10a)": the punctuation must be followed by a space or end the line,
# so "1.5 million" is not a point.
_NUMBER = re.compile(r"^(\d{1,4}[a-z]?)[.):](?:\s+(.*)|\s*$)")
# "10a Text": a letter glued to the number stands without punctuation.
_NUMBER_LETTER = re.compile(r"^(\d{1,3}[a-z])\s+(.*)$")
# "a.", "a)", "(a)", "а)", "б)": a sub-point of the preceding number (Cyrillic letters count as
# the Latin letter of the same rank: а, б, в, г -> a, b, c, d).
_SUB_POINT = re.compile(r"^\(?([a-zабвгґдеєжзи])[.)]\s+(.*)$")
_CYRILLIC_SUB_POINTS = {"а": "a", "б": "b", "в": "c", "г": "d", "ґ": "e", "д": "e", "е": "f", "є": "g", "ж": "g"}
_CYRILLIC_SUB_POINTS |= {"з": "h", "и": "i"}
_BULLET = re.compile(r"^[-*•–—]\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZА-ЯІЇЄҐЁ0-9“«\"(])")
_LABEL = re.compile(r"^([A-ZА-ЯІЇЄҐЁ][\w'’-]*(?: [\w'’-]+){0,3}):\s+\S")
# Control characters other than tab, newline, carriage return and form feed: binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BOLD_NUMBER = re.compile(r"^(\*\*|__)\s*((point|пункт)\s+)?\d", re.IGNORECASE)
_BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$|^__(.+?)__\s*(.*)$")


@dataclass
class ParsedPoint:
    number: str
    title: str
    text: str
    line: int  # 1-based line of the text where the point starts


@dataclass
class Draft:
    points: list[ParsedPoint]
    preamble: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Building:
    number: str
    line: int
    title: str = ""
    paragraphs: list[list[str]] = field(default_factory=lambda: [[]])
    in_bullet: bool = False

    def add_line(self, text: str, *, indented: bool = False) -> None:
        # An indented line after a bullet continues that bullet; any other line ends the list.
        if self.in_bullet and not indented:
            self.paragraphs.append([])
            self.in_bullet = False
        self.paragraphs[-1].append(text)

    def add_bullet(self, text: str) -> None:
        if self.paragraphs[-1]:
            self.paragraphs.append([])
        self.paragraphs[-1].append("- " + text)
        self.in_bullet = True

    def last_line(self) -> str:
        for lines in reversed(self.paragraphs):
            if lines:
                return lines[-1]
        return self.title

    def break_paragraph(self) -> None:
        if self.paragraphs[-1]:
            self.paragraphs.append([])
        self.in_bullet = False

    def text(self) -> str:
        blocks: list[str] = []
        for lines in self.paragraphs:
            if not lines:
                continue
            joined = " ".join(lines)
            # Bullets stay one per line, right under their lead-in and each other.
            last_line = blocks[-1].split("\n")[-1] if blocks else ""
            if joined.startswith("- ") and (last_line.startswith("- ") or last_line.endswith(":")):
                blocks[-1] += "\n" + joined
            else:
                blocks.append(joined)
        return "\n\n".join(blocks)


def _title_from_text(text: str) -> str:
    """A short "Label:" that opens the text, else the first sentence if it is short, else its first words."""
    first_line = text.split("\n", 1)[0].removeprefix("- ")
    label = _LABEL.match(first_line)
    if label:
        return label.group(1)
    sentence = _SENTENCE_END.split(first_line, 1)[0].strip()
    words = sentence.split()
    if len(words) <= TITLE_MAX_WORDS:
        title = sentence.rstrip(".;:")
    else:
        title = " ".join(words[:TITLE_SHORT_WORDS]).rstrip(",;:") + " …"
    # Sub-points often open in lower case ("a. the guarantees will…"); a title does not.
    return (title[:1].upper() + title[1:])[:300]


def _split_bold_lead(rest: str) -> tuple[str, str]:
    """'**Sovereignty.** Ukraine's…' -> ('Sovereignty', "Ukraine's…"); a bold lead is a heading."""
    match = _BOLD_LEAD.match(rest)
    if not match:
        return "", rest
    lead, after = (match.group(1), match.group(2)) if match.group(1) is not None else (match.group(3), match.group(4))
    return lead.strip().rstrip(".:").strip(), after.strip()


def _match_number(line: str) -> tuple[str, str] | None:
    for pattern in (_WORD_NUMBER, _NUMBER, _NUMBER_LETTER):
        match = pattern.match(line)
        if match:
            return match.group(1).lower(), (match.group(2) or "").strip()
    return None


def parse_draft(text: str) -> Draft:
    """Split a draft into points, keeping their wording.

    Recognizes `1.`, `1)`, `1:`, `Point 1:`, `10a` and sub-points `a.`/`a)`/`(a)`
    (numbered under the preceding point: `10a`); bullets and continuation lines
    stay in the text of the point they follow. Markdown headings and bold labels
    (`## 5. Security`, `1. **Sovereignty.** …`) give the point's title; otherwise
    the title is the first sentence, or its first words.

    Numbers may be written "Пункт 1." in Ukrainian and Russian texts, sub-points "а)", "б)".

    Raises ValidationError for an empty text, binary data (a NUL byte or other control
    characters), a text over the import size limit, no numbered point, or a number twice.
    """
    text = (text or "").replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    check_text(text)

    preamble: list[str] = []
    built: list[_Building] = []
    current: _Building | None = None
    base_number = ""
    inner_last = 0  # last number of a list inside the current point ("1)", "2)" under point 3)
    inner_delimiter = point_delimiter = ""
    warnings: list[str] = []
    for line_no, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped:
            if current:
                current.break_paragraph()
            continue
        is_heading = bool(_HEADING.match(stripped))
        line = _HEADING.sub("", stripped)
        # "**1.** text" and "**Point 1:** text": the bold only decorates the number.
        plain_start = (
            _BOLD.sub("", line, count=2) if re.match(r"^(\*\*|__)\s*((point|пункт)\s+)?\d", line, re.I) else line
        )
        numbered = _match_number(plain_start)
        if numbered is not None and not _plausible_number(numbered[0], current):
            numbered = None
        if numbered is not None and current is not None:
            number = numbered[0]
            main = int(re.match(r"\d+", number).group(0))
            current_main = int(re.match(r"\d+", current.number).group(0))
            delimiter = _delimiter(plain_start)
            inner_style = delimiter == inner_delimiter != point_delimiter
            if inner_last and number.isdigit() and main == inner_last + 1 and (main != current_main + 1 or inner_style):
                inner_last = main  # the inner list goes on
                numbered = None
            elif number == "1" and current_main >= 1:
                inner_last, inner_delimiter = 1, delimiter  # "1)" under point 3: a list inside it
                numbered = None
            elif main < current_main and not _ends_sentence(current.last_line()):
                numbered = None  # "…within\n5. years": a wrapped line, not point 5
            if numbered is None:
                current.break_paragraph()
                current.add_line(line)
                continue
            if main < current_main:
                warnings.append(f"Point {number} (line {line_no}) comes after point {current.number}: check the order.")
        if numbered is None and current is not None and base_number:
            sub = _SUB_POINT.match(line)
            letter = _CYRILLIC_SUB_POINTS.get(sub.group(1), sub.group(1)) if sub else ""
            if sub and _is_next_sub_point(current.number, base_number, letter):
                numbered = (base_number + letter, sub.group(2).strip())
        if numbered is not None:
            inner_last, point_delimiter = 0, _delimiter(plain_start)
            number, rest = numbered
            if number[-1].isdigit():
                base_number = number
            elif not base_number or not number.startswith(base_number):
                base_number = re.match(r"\d+", number).group(0)
            current = _Building(number=number, line=line_no)
            built.append(current)
            if is_heading:
                current.title = _BOLD.sub("", rest).strip().rstrip(".:")
            else:
                current.title, rest = _split_bold_lead(rest)
                if rest:
                    current.add_line(rest)
            continue
        if current is None:
            preamble.append(stripped)
            continue
        bullet = _BULLET.match(line)
        if bullet:
            current.add_bullet(bullet.group(1).strip())
        else:
            current.add_line(line, indented=raw[:1].isspace())

    if not built:
        raise ValidationError(
            "No numbered points found: start each point on its own line with “1.”, “1)”, “Point 1:” or “10a”.",
            code="no_points",
        )
    seen: dict[str, int] = {}
    points: list[ParsedPoint] = []
    for item in built:
        key = point_sort_key(item.number)
        if key in seen:
            raise ValidationError(
                f"Point {item.number} appears twice (lines {seen[key]} and {item.line}).", code="duplicate_number"
            )
        seen[key] = item.line
        body = item.text() or item.title
        if not body:
            raise ValidationError(f"Point {item.number} (line {item.line}) has no text.", code="empty_point")
        points.append(
            ParsedPoint(number=item.number, title=item.title or _title_from_text(body), text=body, line=item.line)
        )
    return Draft(points=points, preamble="\n".join(preamble), warnings=warnings + _numbering_warnings(points))


def _plausible_number(number: str, current: _Building | None) -> bool:
    """Four digits ("2025. The parties…", a wrapped line) number a point only right after 999, 1000…"""
    main = re.match(r"\d+", number).group(0)
    if len(main) < 4:
        return True
    return current is not None and int(main) == int(re.match(r"\d+", current.number).group(0)) + 1


def check_text(text: str) -> None:
    """Refuse, with one line, what is not a draft's text: nothing, binary data, too much."""
    if not text.strip():
        raise ValidationError("The text is empty.", code="empty")
    if "\x00" in text:
        raise ValidationError(
            "The text contains a NUL byte: it is binary data, not text. Save the draft as UTF-8 text.", code="binary"
        )
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise ValidationError(
            f"The text contains a control character (U+{ord(control.group()):04X}, line {line}): it looks like binary "
            "data. Save the draft as UTF-8 text.",
            code="binary",
        )
    size, limit = len(text.encode("utf-8")), settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            f"The text is {size // 1024} KB; an import takes at most {limit // 1024} KB.", code="too_large"
        )


def _delimiter(line: str) -> str:
    match = re.match(r"^(?:(?:point|пункт)\s+)?\d{1,4}[a-z]?([.):])", line, re.IGNORECASE)
    return match.group(1) if match else ""


def _ends_sentence(line: str) -> bool:
    return not line or line.rstrip("*_ ").endswith((".", ":", ";", "!", "?", "”", '"', ")"))


def _is_next_sub_point(number: str, base_number: str, letter: str) -> bool:
    """`a`, or the letter after the current sub-point's; a roman `(i)`, `(v)`, `(x)` that breaks
    the sequence is an item inside the sub-point, not a sub-point of its own."""
    if letter not in "ivx":
        return True
    last = number[len(base_number) :] if number.startswith(base_number) else ""
    expected = chr(ord(last) + 1) if len(last) == 1 else "a"
    return letter == expected


def _numbering_warnings(points: Sequence[ParsedPoint]) -> list[str]:
    """Gaps in the main numbers usually mean a point the parser could not see."""
    mains = sorted({int(re.match(r"\d+", p.number).group(0)) for p in points})
    missing = sorted(set(range(mains[0], mains[-1] + 1)) - set(mains))
    if not missing:
        return []
    return [f"Numbering skips {', '.join(map(str, missing))}: check the text near those points."]


@dataclass(frozen=True)
class ProposedLink:
    new_number: str
    old_id: int
    old_number: str
    similarity: float
    relation: str
    reason: str = ""


@dataclass
class LineageProposal:
    links: list[ProposedLink]
    new_numbers: list[str]  # points with no earlier match
    dropped: list[Provision]  # earlier points nothing matches
    language: str = ""  # of the new text: "en", "uk", "ru"
    earlier_language: str = ""

    def links_of(self, number: str) -> list[ProposedLink]:
        return [link for link in self.links if link.new_number == number]


def propose_lineage(
    points: Sequence[ParsedPoint],
    old_points: Sequence[Any],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> LineageProposal:
    """The links from the new points to the earlier ones, decided together (`alignment.align`).

    `old_points` are provisions (or anything with `pk`, `number`, `text`, and optionally
    `topics` and `earlier_texts`, see `earlier_points`). Each link keeps its score, its
    relation and a one-line reason. Points with no link are new; earlier points nothing
    links to are dropped.
    """
    old = list(old_points)
    alignment = align(as_points(points), as_points(old), progress=progress)
    links = [
        ProposedLink(
            new_number=points[link.new].number,
            old_id=old[link.old].pk,
            old_number=old[link.old].number,
            similarity=link.score,
            relation=link.relation,
            reason=link.reason,
        )
        for link in alignment.links
    ]
    linked_new = {link.new for link in alignment.links}
    linked_old = {link.old for link in alignment.links}
    return LineageProposal(
        links=links,
        new_numbers=[point.number for i, point in enumerate(points) if i not in linked_new],
        dropped=[candidate for j, candidate in enumerate(old) if j not in linked_old],
        language=alignment.new_language,
        earlier_language=alignment.old_language,
    )


def earlier_points(version: Version | None) -> list[Provision]:
    """The points of `version` in order, each with `earlier_texts`: the texts of the points its
    confirmed lineage says it derives from (so a text going back to older wording still links)."""
    if version is None:
        return []
    points = list(Provision.objects.filter(version=version).order_by("sort_key"))
    texts: dict[int, list[str]] = {}
    links = Lineage.objects.filter(provision__version=version, confirmed=True).values_list(
        "provision_id", "derives_from__text"
    )
    for provision_id, text in links:
        texts.setdefault(provision_id, []).append(text)
    for point in points:
        point.earlier_texts = texts.get(point.pk, [])
    return points


def _topics_for(point: ParsedPoint, links: list[ProposedLink], old_by_id: dict[int, Provision]) -> tuple[list, bool]:
    """The topics of the earlier point(s) it derives from; for a new point, those its words
    name in any of the three languages, or none (never a default the text does not support)."""
    topics: list[str] = []
    for link in links:
        for topic in old_by_id[link.old_id].topics:
            if topic not in topics and topic in Topic.values:
                topics.append(topic)
    if topics:
        return topics, False
    return guess_topics(point.text), True


def import_report(
    draft: Draft, proposal: LineageProposal, guessed: list[str], missing: list[str] | None = None
) -> dict[str, Any]:
    """What an import found, for the job page and the command's output."""
    missing = missing or []
    merged = sorted({link.new_number for link in proposal.links if link.relation == LineageRelation.MERGED})
    split_from = sorted({link.old_number for link in proposal.links if link.relation == LineageRelation.SPLIT})
    return {
        "counts": {
            "points": len(draft.points),
            "linked": len({link.new_number for link in proposal.links}),
            "links": len(proposal.links),
            "new": len(proposal.new_numbers),
            "dropped": len(proposal.dropped),
            "merged": len(merged),
            "split": len(split_from),
        },
        "numbers": [point.number for point in draft.points],
        "links": [
            {
                "new": link.new_number,
                "old": link.old_number,
                "old_id": link.old_id,
                "similarity": link.similarity,
                "relation": str(link.relation),
                "reason": link.reason,
            }
            for link in proposal.links
        ],
        "new": proposal.new_numbers,
        "dropped": [{"number": p.number, "id": p.pk, "title": p.title} for p in proposal.dropped],
        "merged": merged,
        "split": split_from,
        "topics_guessed": guessed,
        "topics_missing": missing,
        "language": proposal.language,
        "earlier_language": proposal.earlier_language,
        "warnings": draft.warnings,
        "preamble": draft.preamble[:1000],
    }


@dataclass
class ImportResult:
    version: Version
    provisions: list[Provision]
    report: dict[str, Any]


@transaction.atomic
def create_imported_version(
    *,
    plan: Plan,
    label: str,
    dated: date,
    draft: Draft,
    proposal: LineageProposal,
    revises: Version | None = None,
    text_basis: str = TextBasis.LEAKED,
    user: Any = None,
) -> ImportResult:
    """Create the version (status `proposed`), its points and the unconfirmed proposed links.

    One transaction: a duplicate label or an invalid point leaves nothing behind.
    Each point takes the topics of the point(s) it derives from, or a guess (listed
    in the report as `topics_guessed` for the editor to review).
    """
    version = Version(
        plan=plan,
        label=label.strip(),
        dated=dated,
        status=VersionStatus.PROPOSED,
        text_basis=text_basis,
        revises=revises,
        proposed_by=plan.proposed_by,
    )
    version._change_reason = IMPORTED_FOR_REVIEW  # not published until the editor publishes the import
    save_recorded(version, user=user)
    del version._change_reason
    old_by_id = {p.pk: p for p in Provision.objects.filter(version=revises)} if revises else {}
    created: list[Provision] = []
    guessed: list[str] = []
    missing: list[str] = []
    for point in draft.points:
        links = proposal.links_of(point.number)
        topics, was_guessed = _topics_for(point, links, old_by_id)
        if was_guessed:
            (guessed if topics else missing).append(point.number)
        provision = Provision(
            version=version,
            number=point.number,
            title=point.title,
            text=point.text,
            topics=topics,
            status=ProvisionStatus.PROPOSED,
        )
        provision.topics_left_to_review = not topics  # no topic rather than a wrong one: see Provision.clean
        try:
            provision = save_recorded(provision, user=user)
        except ValidationError as error:
            raise ValidationError(f"Point {point.number}: {'; '.join(error.messages)}") from error
        created.append(provision)
        for link in links:
            services.lineage_link(
                provision=provision,
                derives_from=old_by_id[link.old_id],
                relation=link.relation,
                similarity=link.similarity,
                confirmed=False,
                note=f"Proposed by the importer: {link.reason}." if link.reason else "Proposed by the importer.",
                user=user,
            )
    return ImportResult(version=version, provisions=created, report=import_report(draft, proposal, guessed, missing))


def import_text(
    *,
    plan: Plan,
    label: str,
    dated: date,
    text: str,
    revises: Version | None = None,
    text_basis: str = TextBasis.LEAKED,
    user: Any = None,
) -> ImportResult:
    """Parse, propose lineage against `revises` and create, in one call."""
    draft = parse_draft(text)
    proposal = propose_lineage(draft.points, earlier_points(revises))
    return create_imported_version(
        plan=plan,
        label=label,
        dated=dated,
        draft=draft,
        proposal=proposal,
        revises=revises,
        text_basis=text_basis,
        user=user,
    )
