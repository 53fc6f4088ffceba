"""Presentation helpers for the dashboard templates: stance letters, links that keep
`as_of`, word diffs, source citations, the convergence chart and the territory map."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from actors.choices import Stance
from dashboard.mapdata import DISPOSITION_CODES
from dashboard.mapdata import territory_map as build_map
from dashboard.selectors.convergence import AcceptanceAcrossVersions, ConvergenceSeries
from dashboard.selectors.matrix import STANCE_LETTERS
from dashboard.selectors.territories import TerritoryRow
from history.dating import describe
from provisions.choices import Disposition, Topic
from provisions.diffing import diff_sides

register = template.Library()


@register.filter
def as_known(day: date | None, precision: str = "day") -> str:
    """A date as much as it is known: "16 May 2025", "May 2025", "about 16 May 2025"."""
    return describe(day, precision)


SERIES_COLORS = ["#1d4e89", "#b3261e", "#8a6a00", "#5b3fa0", "#1b7f5b", "#7a4a1d", "#3b6e8f"]
SERIES_DASHES = ["", "7 4", "2 4", "10 4 2 4", "4 2", "1 3", "12 3"]


@register.filter
def stance_letter(value: str) -> str:
    """S, C, O, M or ? for a stance; an en dash for no recorded stance."""
    return STANCE_LETTERS.get(value, "–")


@register.filter
def stance_label(value: str) -> str:
    if value in Stance.values:
        return Stance(value).label
    return "No recorded stance"


@register.filter
def disposition_code(value: str) -> str:
    return DISPOSITION_CODES.get(value, "?")


@register.filter
def disposition_label(value: str) -> str:
    return Disposition(value).label if value in Disposition.values else value


@register.filter
def editor_name(user: Any) -> str:
    """An editor as public pages name them: the display name they set (first and last name),
    never their login, which is half of what an attacker needs for the admin."""
    name = user.get_full_name().strip() if user is not None else ""
    return name or "an editor"


@register.filter
def percent(value: float | None) -> str:
    """0.25 -> "25%"; None -> "–"."""
    if value is None:
        return "–"
    return f"{round(value * 100):d}%"


@register.filter
def share(value: Any) -> str:
    """A stored control share (a Decimal percentage) without trailing zeros: 12.00 -> "12%"."""
    if value is None:
        return "no figure"
    return f"{value.normalize():f}%"


def _dated(url: str, day: date | None) -> str:
    """Append `as_of` to an internal URL, before any #fragment."""
    if not day or not url:
        return url
    url, hash_, fragment = url.partition("#")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({'as_of': day.isoformat()})}{hash_}{fragment}"


@register.filter
def dated(url: str, request: Any) -> str:
    """`{{ url|dated:request }}`: keep the page's `as_of` on an internal link."""
    return _dated(url, getattr(request, "as_of_date", None))


@register.simple_tag(takes_context=True)
def dated_url(context: template.Context, name: str, *args: Any, **params: Any) -> str:
    """`{% dated_url 'provisions:provision_detail' pk version=3 %}`: reverse, add params, keep `as_of`."""
    url = reverse(name, args=args)
    params = {key: value for key, value in params.items() if value not in (None, "")}
    if params:
        url += "?" + urlencode(params)
    return _dated(url, getattr(context.get("request"), "as_of_date", None))


@register.filter
def render_diff(segments: list) -> SafeString:
    """Word-diff segments inline, as <ins>/<del> runs: a deleted phrase and the phrase put
    in its place are kept apart by a space, and a change of whitespace alone is not marked."""
    parts = []
    previous = None
    for segment in segments:
        blank = not segment.text.strip()
        if segment.op == "delete":
            if not blank:
                parts.append(format_html("<del>{}</del>", segment.text))
        elif segment.op == "insert":
            if blank:
                parts.append(format_html("{}", segment.text))
            else:
                if previous is not None and previous.op == "delete" and _run_together(previous.text, segment.text):
                    parts.append(" ")
                parts.append(format_html("<ins>{}</ins>", segment.text))
        else:
            parts.append(format_html("{}", segment.text))
        previous = segment
    return format_html_join("", "{}", ((part,) for part in parts))


def _run_together(deleted: str, inserted: str) -> bool:
    return bool(deleted.strip()) and not deleted[-1].isspace() and not inserted[0].isspace()


@register.filter
def render_diff_side(segments: list, side: str) -> SafeString:
    """One column of a side-by-side diff: the old text with its deleted phrases (`side` "old")
    or the new text with its inserted ones ("new")."""
    old, new = diff_sides(segments)
    tag = "del" if side == "old" else "ins"
    parts = [
        format_html("<{0}>{1}</{0}>", tag, segment.text)
        if segment.op != "equal" and segment.text.strip()
        else format_html("{}", segment.text)
        for segment in (old if side == "old" else new)
    ]
    return format_html_join("", "{}", ((part,) for part in parts))


@register.inclusion_tag("provisions/_diff.html")
def diff_view(segments: list, old_label: str = "Before", new_label: str = "After") -> dict[str, Any]:
    """A word diff side by side (old | new) on wide screens and inline on phones (CSS decides)."""
    return {"segments": segments, "old_label": old_label, "new_label": new_label}


@register.inclusion_tag("provisions/_cite.html", takes_context=True)
def cite(context: template.Context, source: Any) -> dict[str, Any]:
    """A citation: the source's page on the tracker, and its original when it has a web address."""
    return {"source": source, "request": context.get("request")}


# Each chart is drawn twice: wide for a desktop, narrow for a phone (CSS shows one). A phone
# shrinks a wide drawing to half size, and its labels with it; the narrow one keeps them legible.
CHART_SIZES: dict[str, dict[str, Any]] = {
    "wide": {"width": 640, "height": 300, "right": 150, "max_ticks": 6},
    "narrow": {"width": 360, "height": 260, "right": 72, "max_ticks": 3},
}


@register.inclusion_tag("provisions/_convergence_chart.html")
def convergence_chart(series: ConvergenceSeries, size: str = "wide") -> dict[str, Any]:
    return {**chart_geometry(series, **CHART_SIZES[size]), "size": size}


def chart_geometry(
    series: ConvergenceSeries, width: int, height: int, right: int = 150, max_ticks: int = 6
) -> dict[str, Any]:
    """Coordinates of the convergence chart: one stepped line per party, one for all of them.

    x is proportional to the date (a single date sits in the middle); y is the share 0–100 %.
    """
    left, top, bottom = 48, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    steps = series.steps
    days = [step.day for step in steps]
    # The last state holds after the last date: leave it some room on the right.
    span = (days[-1] - days[0]).days + max(1, (days[-1] - days[0]).days // 8) if days else 0
    # The y axis stops at the first quarter mark above the highest share, so small shares stay readable.
    highest = max([0.0, *(s.share(p.pk) for s in steps for p in series.parties)])
    ceiling = next(mark for mark in (20, 40, 60, 80, 100) if highest * 100 <= mark)

    def x(day: date) -> float:
        if span == 0:
            return left + plot_w / 2
        return round(left + plot_w * (day - days[0]).days / span, 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value * 100 / ceiling), 1)

    def line(values: list[float]) -> tuple[str, list[dict[str, float]]]:
        points = [(x(day), y(value)) for day, value in zip(days, values, strict=True)]
        path = []
        for index, (px, py) in enumerate(points):
            if index == 0:
                path.append(f"M{px},{py}")
            else:
                path.append(f"H{px}V{py}")  # a stance holds until the next change
        if points and span:
            path.append(f"H{left + plot_w}")  # the last state holds
        return " ".join(path), [{"x": px, "y": py} for px, py in points]

    lines = []
    for index, party in enumerate(series.parties):
        values = [step.share(party.pk) for step in steps]
        path, dots = line(values)
        lines.append(
            {
                "label": party.label,
                "name": party.name,
                "color": SERIES_COLORS[index % len(SERIES_COLORS)],
                "dash": SERIES_DASHES[index % len(SERIES_DASHES)],
                "path": path,
                "dots": dots,
                "last": values[-1] if values else 0,
                "end_y": dots[-1]["y"] if dots else y(0),
            }
        )
    all_values = [step.share_by_all for step in steps]
    all_path, all_dots = line(all_values)
    everyone = {
        "path": all_path,
        "dots": all_dots,
        "last": all_values[-1] if all_values else 0,
        "end_y": all_dots[-1]["y"] if all_dots else y(0),
    }
    _spread_labels([*lines, everyone], min_gap=14, low=top, high=top + plot_h + bottom - 8)
    ticks = [{"y": y(v / 100), "label": f"{v}%"} for v in range(0, ceiling + 1, ceiling // 4)]
    x_ticks = _date_ticks(days, x, max_ticks)
    return {
        "series": series,
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + plot_w,
        "top": top,
        "plot_bottom": top + plot_h,
        "label_x": left + plot_w + 8,
        "lines": lines,
        "everyone": everyone,
        "ticks": ticks,
        "x_ticks": x_ticks,
        "ceiling": ceiling,
    }


def _spread_labels(items: list[dict[str, Any]], min_gap: float, low: float, high: float) -> None:
    """End-of-line labels moved apart vertically so they never overlap, kept within [low, high]."""
    ordered = sorted(items, key=lambda item: item["end_y"])
    previous = None
    for item in ordered:
        item["label_y"] = item["end_y"] if previous is None else max(item["end_y"], previous + min_gap)
        previous = item["label_y"]
    following = None
    for item in reversed(ordered):
        limit = high if following is None else following - min_gap
        item["label_y"] = max(min(item["label_y"], limit), low)
        following = item["label_y"]


def _date_ticks(days: list[date], x: Any, max_ticks: int = 6) -> list[dict[str, Any]]:
    if not days:
        return []
    unique = sorted(set(days))
    if len(unique) > max_ticks:
        stride = -(-len(unique) // max_ticks)
        unique = [*unique[::stride][:-1], unique[-1]] if unique[::stride][-1] != unique[-1] else unique[::stride]
    return [{"x": x(day), "label": f"{day:%d %b}"} for day in unique]


@register.inclusion_tag("provisions/_acceptance_chart.html")
def acceptance_chart(across: AcceptanceAcrossVersions, size: str = "wide") -> dict[str, Any]:
    return {**acceptance_geometry(across, **CHART_SIZES[size]), "size": size}


def acceptance_geometry(
    across: AcceptanceAcrossVersions, width: int, height: int, right: int = 150, max_ticks: int = 6
) -> dict[str, Any]:
    """Coordinates of the chart "from draft to draft": x = the versions in date order (numbered
    as in the table), y = the share of each party's stances on a version that accept it.

    A party's line joins the versions it took a stance on; where it took none there is no dot
    (silence is not refusal). Lines that coincide are drawn a little apart, so none hides another.
    """
    del max_ticks  # every version gets its number: they are few, and the table names them
    left, top, bottom = 48, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(across.rows)
    step = plot_w / count if count else 0

    def x(index: int) -> float:
        return round(left + step * (index + 0.5), 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value), 1)

    lines = []
    middle = (len(across.parties) - 1) / 2
    for index, party in enumerate(across.parties):
        nudge = (index - middle) * 2.5  # coinciding lines side by side, ±5 units at most
        dots = []
        for position, row in enumerate(across.rows):
            value = row.share(party.pk)
            if value is None:
                continue
            dots.append(
                {
                    "x": x(position),
                    "y": round(y(value) + nudge, 1),
                    "value": value,
                    "accepted": row.accepted.get(party.pk, 0),
                    "counted": row.counted.get(party.pk, 0),
                    "version": row.version,
                }
            )
        path = " ".join(f"{'M' if i == 0 else 'L'}{d['x']},{d['y']}" for i, d in enumerate(dots))
        lines.append(
            {
                "label": party.label,
                "name": party.name,
                "color": SERIES_COLORS[index % len(SERIES_COLORS)],
                "dash": SERIES_DASHES[index % len(SERIES_DASHES)],
                "path": path,
                "dots": dots,
                "last": dots[-1]["value"] if dots else None,
                "end_y": dots[-1]["y"] if dots else y(0),
            }
        )
    drawn = [line for line in lines if line["dots"]]
    _spread_labels(drawn, min_gap=14, low=top, high=top + plot_h + bottom - 8)
    return {
        "across": across,
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + plot_w,
        "top": top,
        "plot_bottom": top + plot_h,
        "label_x": left + plot_w + 8,
        "lines": drawn,
        "ticks": [{"y": y(v / 100), "label": f"{v}%"} for v in range(0, 101, 25)],
        "x_ticks": [{"x": x(i), "label": str(i + 1), "version": row.version} for i, row in enumerate(across.rows)],
    }


@register.inclusion_tag("provisions/_territory_map.html", takes_context=True)
def territory_map(context: template.Context, rows: list[TerritoryRow]) -> dict[str, Any]:
    return {"map": build_map(rows), "request": context.get("request")}


@register.filter
def topic_label(value: str) -> str:
    return Topic(value).label if value in Topic.values else value


@register.filter
def step_share(step: Any, party: Any) -> dict[str, Any]:
    """`{% with share=step|step_share:party %}`: points a party supports at a step, and their share."""
    return {"count": step.supported.get(party.pk, 0), "share": step.share(party.pk)}


@register.filter
def acceptance_of(row: Any, party: Any) -> dict[str, Any]:
    """`{% with share=row|acceptance_of:party %}`: a party's accepting stances on a version, of how many."""
    return {
        "accepted": row.accepted.get(party.pk, 0),
        "counted": row.counted.get(party.pk, 0),
        "share": row.share(party.pk),
    }


@register.simple_tag(takes_context=True)
def today_url(context: template.Context) -> str:
    """This page's address without `as_of`: the same view of today's record."""
    request = context.get("request")
    if request is None:
        return "/"
    params = request.GET.copy()
    params.pop("as_of", None)
    return request.path + (f"?{params.urlencode()}" if params else "")
