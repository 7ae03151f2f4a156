"""The one-year Loan Prime Rate as dated configuration, never a constant.

``DEFAULT_LPR`` holds the DOMAIN.md list. Those figures are known by the month they took
effect, so each entry starts on the first day of its month (a simplification: the rate
is published around the 20th). A bank that keeps exact publication dates builds its own
``LprSchedule`` from them, e.g. from configuration::

    >>> s = LprSchedule.from_mapping({"2024-10-21": 310, "2025-05-20": 300})
    >>> s.on(date(2025, 5, 19)), s.on(date(2025, 5, 20))
    (310, 300)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ._customer import coerce_date
from ._errors import LprUnavailable, ValidationError
from ._money import require_int


class LprSchedule:
    """Dated entries ``(effective_from, bps)``; ``on(day)`` is the latest entry not after ``day``."""

    __slots__ = ("_days", "_bps")

    def __init__(self, entries: Iterable[tuple[date, int]]) -> None:
        items = sorted((coerce_date(d, "lpr.effective"), require_int(b, "lpr.bps", minimum=1))
                       for d, b in entries)
        days = [d for d, _ in items]
        if len(set(days)) != len(days):
            raise ValidationError("lpr.effective", "two LPR entries share an effective date",
                                  reason="invalid")
        self._days: tuple[date, ...] = tuple(days)
        self._bps: tuple[int, ...] = tuple(b for _, b in items)

    @classmethod
    def from_mapping(cls, mapping: Mapping[Any, int]) -> LprSchedule:
        """From ``{"2025-05" or "2025-05-20" or date: bps}``; a bare month means its first day."""
        entries = []
        for key, bps in mapping.items():
            if isinstance(key, str) and len(key) == 7:
                key = f"{key}-01"
            entries.append((coerce_date(key, "lpr.effective"), bps))
        return cls(entries)

    @property
    def entries(self) -> tuple[tuple[date, int], ...]:
        return tuple(zip(self._days, self._bps, strict=True))

    def on(self, day: date) -> int:
        """The LPR in force on ``day``, in basis points; ``LprUnavailable`` before the first entry."""
        i = bisect.bisect_right(self._days, day)
        if i == 0:
            raise LprUnavailable(day, self._days[0] if self._days else None)
        return self._bps[i - 1]

    def __repr__(self) -> str:
        inner = ", ".join(f"{d.isoformat()}: {b}" for d, b in self.entries)
        return f"LprSchedule({{{inner}}})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LprSchedule) and self.entries == other.entries

    def __hash__(self) -> int:
        return hash(self.entries)


DEFAULT_LPR = LprSchedule.from_mapping({
    "2020-04": 385,
    "2021-12": 380,
    "2022-01": 370,
    "2022-08": 365,
    "2023-06": 355,
    "2023-08": 345,
    "2024-07": 335,
    "2024-10": 310,
    "2025-05": 300,
})
