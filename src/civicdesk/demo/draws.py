"""Random draws of the demo history: one seeded stream, and the weighted picks of category,
channel and time of day (monthly seasons, hourly profiles), their cumulative weights cached."""

from __future__ import annotations

import bisect
import random
from typing import Any

from civicdesk.demo import texts
from civicdesk.demo.calendar_fast import HOUR, MINUTE, FastCalendar
from civicdesk.demo.planned import Cat, Chan
from civicdesk.demo.shape import CHANNEL_WEIGHTS, HOUR_BOOST, HOURS, SEASON


class FastRandom(random.Random):
    """``random.Random`` with integer and choice draws made from one ``random()`` each: the
    history makes millions of draws, and ``_randbelow`` would cost a third of the time. Still
    one seeded Mersenne Twister stream, so still deterministic."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def pick(self, items: Any, cum_weights: list[float]) -> Any:
        """One item by cumulative weights (``choices(..., k=1)`` without the overhead)."""
        return items[bisect.bisect(cum_weights, self.random() * cum_weights[-1])]


def cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for w in weights:
        total += w
        result.append(total)
    return result


class Draws:
    """What and when: category by season, channel by day, time of day by channel profile."""

    def __init__(self, rng: FastRandom, calendar: FastCalendar, channels: list[Chan]) -> None:
        self.rng, self.cal, self.channels = rng, calendar, channels
        self._hour_cum: dict[tuple[str, str], list[float]] = {}
        self._channel_cum: dict[bool, list[float]] = {}
        self._category_cum: dict[tuple[int, int], list[float]] = {}
        self._kind_cum: dict[str, tuple[list[str], list[float]]] = {}

    def category(self, cats: list[Cat], weights: dict[str, float], month: int) -> Cat:
        key = (id(cats), month)
        cum = self._category_cum.get(key)
        if cum is None:
            cum = self._category_cum[key] = cumulative(
                [weights.get(c.code, 4) * SEASON.get(c.code, {}).get(month, 1.0) for c in cats]
            )
        return self.rng.pick(cats, cum)

    def place_kind(self, code: str) -> str:
        """What kind of place (market, compound, road…) a complaint of category ``code`` is at."""
        cached = self._kind_cum.get(code)
        if cached is None:
            kinds = texts.PLACE_KINDS.get(code, texts.DEFAULT_PLACE_KINDS)
            cached = self._kind_cum[code] = (list(kinds), cumulative(list(kinds.values())))
        names, cum = cached
        return self.rng.pick(names, cum)

    def channel(self, day: int) -> Chan:
        """Letters and visits arrive on working days only; patrols report less at weekends."""
        office_ok = self.cal.is_workday(day)
        cum = self._channel_cum.get(office_ok)
        if cum is None:
            weights = []
            for channel in self.channels:
                w = float(CHANNEL_WEIGHTS.get(channel.code, 2))
                profile = channel.profile
                if not office_ok and profile == "office":
                    w = 0.0
                elif not office_ok and profile == "field":
                    w *= 0.5
                weights.append(w)
            cum = self._channel_cum[office_ok] = cumulative(weights)
        return self.rng.pick(self.channels, cum)

    def time_of_day(self, channel: Chan, code: str) -> int:
        """Seconds after local midnight: the channel's hours, boosted by the category's."""
        profile = channel.profile
        key = (profile, code)
        cum = self._hour_cum.get(key)
        if cum is None:
            boost = HOUR_BOOST.get(code, {}) if profile != "office" else {}
            cum = self._hour_cum[key] = cumulative(
                [w * boost.get(h, 1.0) for h, w in enumerate(HOURS[profile])]
            )
        hour = self.rng.pick(range(24), cum)
        minute = self.rng.randrange(60)
        if profile == "office" and hour in (8, 13):
            minute = 30 + minute // 2
        elif profile == "office" and hour == 17:
            minute //= 2
        return hour * HOUR + minute * MINUTE + self.rng.randrange(60)

    def time_between(self, channel: Chan, code: str, start: int, lo: int, hi: int) -> int | None:
        """A time of day after ``start`` within [lo, hi); None for an office channel that has
        no plausible one (the caller picks another channel)."""
        for _ in range(6):
            ts = start + self.time_of_day(channel, code)
            if lo <= ts < hi:
                return ts
        if channel.profile == "office":
            return None
        return self.rng.randint(lo, hi - 1)
