"""Counts that start over at local midnight, for what was seen and asked today."""

from __future__ import annotations

from collections import Counter
from datetime import date

from homeassistant.util import dt as dt_util


class DailyCounter:
    """A `Counter` of today's events; it empties itself on the first use of a new day."""

    def __init__(self) -> None:
        self._day: date = dt_util.now().date()
        self._counts: Counter[str] = Counter()

    def roll(self) -> None:
        """Forget yesterday's counts if the day has changed."""
        if (today := dt_util.now().date()) != self._day:
            self._day = today
            self._counts.clear()

    def add(self, key: str) -> None:
        """Count one more `key` today."""
        self.roll()
        self._counts[key] += 1

    def total(self) -> int:
        """How many events today, of any key."""
        self.roll()
        return self._counts.total()

    def most_common(self) -> list[tuple[str, int]]:
        """Today's counts, most common first (as counted; `roll` first to see a new day)."""
        return self._counts.most_common()
