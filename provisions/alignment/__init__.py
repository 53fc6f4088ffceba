"""Aligning a new text with the version it revises, in English, Ukrainian or Russian.

`language` tells the language and gives stems, `vocabulary` the concepts, figures
and topics a text names, `aligner` decides the links.
"""

from .aligner import CARRIED, MERGED, MOVED, REWORDED, SPLIT, Alignment, Link, Point, align, as_points
from .language import detect_language
from .vocabulary import guess_topics

__all__ = [
    "CARRIED",
    "MERGED",
    "MOVED",
    "REWORDED",
    "SPLIT",
    "Alignment",
    "Link",
    "Point",
    "align",
    "as_points",
    "detect_language",
    "guess_topics",
]
