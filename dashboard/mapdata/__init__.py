"""The schematic territory map: shipped outlines (`shapes.json`) projected to SVG and
coloured by what the version in focus proposes for each territory.

Drawn by the server from data the project ships: no tile server, no network.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from provisions.choices import Disposition

SHAPES = Path(__file__).with_name("shapes.json")
WIDTH = 760
STRIPE = 10  # width of one colour band where several dispositions apply

DISPOSITION_COLORS = {
    Disposition.RECOGNIZED_RUSSIAN_DE_FACTO: "#e07a6f",
    Disposition.RECOGNIZED_RUSSIAN_DE_JURE: "#a8322a",
    Disposition.DEMILITARIZED_ZONE: "#f2b84b",
    Disposition.FROZEN_ON_CONTACT_LINE: "#a58bd6",
    Disposition.RETURNED_TO_UKRAINE: "#4f8fd6",
    Disposition.INTERNATIONAL_ADMINISTRATION: "#2f9488",
    Disposition.INTERNATIONAL_SUPERVISION: "#6cc4b7",
    Disposition.FREE_PASSAGE: "#8fd0ea",
    Disposition.UNDETERMINED: "#bdbdbd",
}
NO_DISPOSITION = "#efeadf"
# Short codes printed on the map and in tables, so colour is never the only signal.
DISPOSITION_CODES = {
    Disposition.RECOGNIZED_RUSSIAN_DE_FACTO: "RU-f",
    Disposition.RECOGNIZED_RUSSIAN_DE_JURE: "RU-j",
    Disposition.DEMILITARIZED_ZONE: "DMZ",
    Disposition.FROZEN_ON_CONTACT_LINE: "FRZ",
    Disposition.RETURNED_TO_UKRAINE: "UA",
    Disposition.INTERNATIONAL_ADMINISTRATION: "INT-A",
    Disposition.INTERNATIONAL_SUPERVISION: "INT-S",
    Disposition.FREE_PASSAGE: "FREE",
    Disposition.UNDETERMINED: "TBD",
}


@cache
def _shapes() -> dict[str, Any]:
    return json.loads(SHAPES.read_text(encoding="utf-8"))


class Projection:
    """Equirectangular, longitudes shrunk by the cosine of the middle latitude."""

    def __init__(self, extent: dict[str, float], width: int) -> None:
        self.west, self.north = extent["west"], extent["north"]
        middle = math.radians((extent["north"] + extent["south"]) / 2)
        self.shrink = math.cos(middle)
        self.scale = width / ((extent["east"] - extent["west"]) * self.shrink)
        self.width = width
        self.height = round((extent["north"] - extent["south"]) * self.scale)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (round((lon - self.west) * self.shrink * self.scale, 1), round((self.north - lat) * self.scale, 1))

    def path(self, points: list[list[float]], closed: bool = True) -> str:
        coords = [self(lon, lat) for lon, lat in points]
        d = "M" + " L".join(f"{x},{y}" for x, y in coords)
        return d + (" Z" if closed else "")


@dataclass
class MapShape:
    slug: str
    name: str
    short_name: str
    shape: str  # "area", "outline", "line" or "point"
    d: str
    x: float
    y: float
    fill: str
    codes: list[str]
    dispositions: list[str]
    anchor: str
    pattern: list[str] = field(default_factory=list)  # stripe colours when several dispositions apply
    control: str = ""  # the current control shares, e.g. "UA 12% / 14.5%" when sources disagree

    @property
    def pattern_id(self) -> str:
        return f"stripes-{self.slug}"

    @property
    def stripes(self) -> list[dict[str, Any]]:
        return [{"x": index * STRIPE, "color": color} for index, color in enumerate(self.pattern)]

    @property
    def stripe_width(self) -> int:
        return STRIPE * len(self.pattern)


@dataclass
class TerritoryMap:
    width: int
    height: int
    ukraine: str
    seas: list[dict[str, Any]]
    cities: list[dict[str, Any]]
    shapes: list[MapShape]
    legend: list[dict[str, str]]
    not_drawn: list[Any]
    about: str


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def control_label(observations: list[Any]) -> str:
    """The latest control shares as a short map label: Ukraine's share, each source's
    differing figure kept (lowest first), e.g. "UA 12% / 14.5%"; Russia's share when no
    source gives Ukraine's; "" when nothing is on record."""
    for side, attribute in (("UA", "ukraine_share"), ("RU", "russia_share")):
        values = []
        for observation in observations:
            value = getattr(observation, attribute)
            if value is not None and value not in values:
                values.append(value)
        if values:
            return f"{side} " + " / ".join(_percent(value) for value in sorted(values))
    return ""


def territory_map(rows: list[Any]) -> TerritoryMap:
    """The map for these territory rows (`provisions.dashboard.TerritoryRow`)."""
    data = _shapes()
    project = Projection(data["extent"], WIDTH)
    by_slug = {row.territory.slug: row for row in rows}
    shapes, used = [], set()
    for item in data["territories"]:
        row = by_slug.get(item["slug"])
        if row is None:
            continue
        dispositions = row.codes
        used.update(dispositions)
        colors = [DISPOSITION_COLORS.get(value, NO_DISPOSITION) for value in dispositions]
        x, y = project(*item["label"])
        shape = MapShape(
            slug=item["slug"],
            name=row.territory.name,
            short_name=item.get("short", row.territory.name),
            shape=item["shape"],
            d=project.path(item["points"], closed=item["shape"] in {"area", "outline"}),
            x=x,
            y=y,
            fill=colors[0] if colors else NO_DISPOSITION,
            codes=[DISPOSITION_CODES.get(value, "?") for value in dispositions],
            dispositions=[Disposition(value).label for value in dispositions if value in Disposition.values],
            anchor=f"territory-{row.territory.pk}",
            pattern=colors if len(colors) > 1 else [],
            control=control_label(row.observations),
        )
        shapes.append(shape)
    drawn = {shape.slug for shape in shapes}
    legend = [
        {"code": DISPOSITION_CODES[value], "label": label, "color": DISPOSITION_COLORS[value]}
        for value, label in Disposition.choices
        if value in used
    ]
    legend.append({"code": "–", "label": "Nothing proposed in this version", "color": NO_DISPOSITION})
    return TerritoryMap(
        width=project.width,
        height=project.height,
        ukraine=project.path(data["context"]["ukraine"]),
        seas=[
            {"name": sea["name"], "d": project.path(sea["points"]), "xy": project(*sea["label"])}
            for sea in data["context"]["seas"]
        ],
        cities=[{"name": c["name"], "xy": project(*c["at"])} for c in data["context"]["cities"]],
        shapes=shapes,
        legend=legend,
        not_drawn=[row.territory for row in rows if row.territory.slug not in drawn],
        about=data["about"],
    )
