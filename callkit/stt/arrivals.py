"""When each moment of a leg's audio reached the kernel, for latency marks.

A turn's speech end is known in call time (where the VAD heard it stop); its latency counts
from the wall time that audio arrived, which the chunks carry.
"""

from __future__ import annotations

import bisect
from collections import deque

KEPT_S = 60.0  # how far back call times can be mapped to arrival times


class Arrivals:
    def __init__(self) -> None:
        self._t: deque[float] = deque()
        self._wall: deque[float] = deque()

    def add(self, end_t: float, wall: float) -> None:
        """The audio up to call time ``end_t`` arrived at ``wall``."""
        self._t.append(end_t)
        self._wall.append(wall)
        while self._t and self._t[0] < end_t - KEPT_S:
            self._t.popleft()
            self._wall.popleft()

    def at(self, t: float) -> float:
        """When the audio at call time ``t`` arrived (the chunk holding it)."""
        i = bisect.bisect_left(self._t, t)
        return self._wall[min(i, len(self._wall) - 1)]
