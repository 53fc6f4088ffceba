"""Text every reader can carry: the characters XML 1.0 allows, refused at input, stripped on output.

A title holding a BEL (U+0007) or U+FFFE is harmless in a database but cannot be written
into the Atom feed, the admin's XML-based exports or most spreadsheets. Editorial text
fields refuse such characters (`storable_text`, a field validator, so the admin and the
API say the same thing); the feed strips them from records stored before (`xml_safe`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Everything outside XML 1.0's `Char` production: C0 controls other than tab, newline and
# carriage return, lone surrogates (which no encoder can write either), U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _describe(character: str) -> str:
    code = f"U+{ord(character):04X}"
    return f"the control character {code}" if ord(character) < 0x20 else f"the character {code}"


@deconstructible
class StorableTextValidator:
    """Refuses text holding a character XML 1.0 cannot carry, naming the first one."""

    code = "unstorable_character"

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        found = _NOT_XML.search(value)
        if found:
            raise ValidationError(
                "This text contains %(character)s, which cannot be stored: remove it.",
                code=self.code,
                params={"character": _describe(found.group())},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorableTextValidator)

    def __hash__(self) -> int:
        return hash(self.code)


storable_text = StorableTextValidator()


def xml_safe(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (for text stored before they were refused)."""
    return _NOT_XML.sub("", value)
