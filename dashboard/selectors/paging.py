"""Pages of a list read newest first (the timeline, the convergence tables' versions, a source's
citations): the links to the newer and the older page."""

from __future__ import annotations


class NewestFirstPage:
    """A page `number` (from 1: the newest) that knows whether older entries exist (`has_older`)."""

    number: int
    has_older: bool

    @property
    def older(self) -> int | None:
        return self.number + 1 if self.has_older else None

    @property
    def newer(self) -> int | None:
        return self.number - 1 if self.number > 1 else None
