"""The way a coder has come through the segments, for Back and Next on the Code page.

Back steps to the segment seen before; Next (or Skip) after stepping back returns,
one by one, to the segments stepped back from, before any new one: a segment a
coder saw and has not finished is never passed over because they looked back.
Only once nothing stepped back from is left does the caller pick a new segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Trail:
    """Segment ids seen before the current one (`past`, oldest first) and those stepped
    back from (`ahead`, the next one last)."""

    past: list[int] = field(default_factory=list)
    ahead: list[int] = field(default_factory=list)

    def back(self, current: int | None) -> int | None:
        """The segment to show after Back from `current` (itself when none was seen
        before)."""
        if not self.past:
            return current
        if current is not None:
            self.ahead.append(current)
        return self.past.pop()

    def forward(self, current: int | None) -> int | None:
        """Leave `current` going forward: the segment stepped back from, or None when
        there is none (the caller then picks the next new segment)."""
        if current is not None and (not self.past or self.past[-1] != current):
            self.past.append(current)
        while self.ahead:
            following = self.ahead.pop()
            if following != current:
                return following
        return None

    def jump(self, current: int | None, target: int) -> int:
        """Go to `target` out of order (an undone decision's segment): like Back when it
        is the one seen just before; Next then returns to `current`."""
        if target == current:
            return target
        if current is not None:
            self.ahead.append(current)
        if self.past and self.past[-1] == target:
            self.past.pop()
        return target
