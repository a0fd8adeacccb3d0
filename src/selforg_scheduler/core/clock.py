"""The team's clock: local wall-clock times of one time zone <-> real minutes from a local midnight.

The contract writes naive local times in the team's time zone (``team.timezone``); the problem's
time is real elapsed minutes from local midnight of the horizon start, so a week across a clock
change has a 1380- or 1500-minute day (:mod:`selforg_scheduler.core.problem` ticks are built on it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

MINUTES_PER_DAY = 1440
"""Minutes of a day without a clock change (a change day has 1380 or 1500: see :class:`LocalClock`)."""


class LocalClock:
    """Local wall-clock times of one time zone <-> real minutes from a local midnight ``origin``.

    ``minutes(t)`` is ``(t as aware local -> UTC) - (origin as aware local -> UTC)`` in minutes; a
    naive time repeated by a fall-back change is read as its first occurrence (``fold=0``).
    ``local(m)`` converts back to a naive local time (``fold=0``, as the contract writes it: the
    repeated hour's second occurrence reads back as its first). Where the zone's offset is the same
    at every local midnight from the day before the horizon to two days after it, there is no
    clock change in between and naive arithmetic is exact there: that path gives exactly the
    wall-clock minutes of a zone without changes (UTC)."""

    def __init__(self, origin: datetime, zone: tzinfo, days: int) -> None:
        self.origin = origin
        self.zone = zone
        self.origin_utc = self._utc(origin)
        self.lo = origin - timedelta(days=1)
        self.hi = origin + timedelta(days=days + 2)
        offsets = {(origin + timedelta(days=d)).replace(tzinfo=zone).utcoffset() for d in range(-1, days + 3)}
        self.steady = len(offsets) == 1
        """No clock change between :attr:`lo` and :attr:`hi`."""
        self.hi_minutes = (days + 2) * MINUTES_PER_DAY

    def _utc(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.zone, fold=0)
        return when.astimezone(UTC)

    def _naive_ok(self, when: datetime) -> bool:
        return self.steady and when.tzinfo is None and self.lo <= when <= self.hi

    def minutes(self, when: datetime) -> float:
        """Real minutes from the origin to ``when`` (naive: local wall clock, first occurrence)."""
        if self._naive_ok(when):
            return (when - self.origin).total_seconds() / 60.0
        return (self._utc(when) - self.origin_utc).total_seconds() / 60.0

    def local(self, minutes: float) -> datetime:
        """The naive local wall-clock time ``minutes`` real minutes after the origin."""
        guess = self.origin + timedelta(minutes=minutes)
        if self._naive_ok(guess):
            return guess
        moment = self.origin_utc + timedelta(minutes=minutes)
        return moment.astimezone(self.zone).replace(tzinfo=None, fold=0)

    def shift(self, a: float, b: float) -> float:
        """Minutes the local wall clock moves beyond real time from ``a`` to ``b`` real minutes
        after the origin: +60 across a spring-forward change, -60 across a fall-back one."""
        if self.steady and -MINUTES_PER_DAY <= min(a, b) and max(a, b) <= self.hi_minutes:
            return 0.0
        off_a = (self.origin_utc + timedelta(minutes=a)).astimezone(self.zone).utcoffset()
        off_b = (self.origin_utc + timedelta(minutes=b)).astimezone(self.zone).utcoffset()
        assert off_a is not None and off_b is not None
        return (off_b - off_a).total_seconds() / 60.0

    def wall(self, day: int, minutes: float) -> float:
        """Real minutes from the origin to the local clock time ``minutes`` after midnight of day
        ``day``; a clock time the change skips (01:30 on a spring-forward day in London) is the
        moment the clock jumps (02:00 BST = 01:00 UTC)."""
        naive = self.origin + timedelta(days=day, minutes=minutes)
        if self._naive_ok(naive):
            return (naive - self.origin).total_seconds() / 60.0
        moment = self._utc(naive)
        if moment.astimezone(self.zone).replace(tzinfo=None) != naive:
            moment = self._jump(naive)
        return (moment - self.origin_utc).total_seconds() / 60.0

    def _jump(self, naive: datetime) -> datetime:
        """The UTC moment of the change that skips the local time ``naive`` (in a gap, fold=1 reads
        it with the offset after the change, fold=0 with the one before: the change lies between)."""
        before = naive.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        after = naive.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if after < before:
            before, after = after, before
        old = before.astimezone(self.zone).utcoffset()
        lo, hi = 0, int((after - before).total_seconds())
        while lo < hi:  # the first second at which the offset is no longer the old one
            mid = (lo + hi) // 2
            if (before + timedelta(seconds=mid)).astimezone(self.zone).utcoffset() == old:
                lo = mid + 1
            else:
                hi = mid
        return before + timedelta(seconds=lo)

    def repeated(self, days: int) -> tuple[tuple[float, float], ...]:
        """The real-minute ranges ``[a, b)`` of the horizon's ``days`` whose local clock time a
        fall-back change repeats, second occurrence (the contract's naive times cannot name them)."""
        if self.steady:
            return ()
        out = []
        for day in range(days):
            a, b = self.minutes(self.origin + timedelta(days=day)), self.minutes(self.origin + timedelta(days=day + 1))
            back = -self.shift(a, b)
            if back <= 0:
                continue
            lo, hi = a, b  # the first minute whose offset is the day's last one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if self.shift(a, mid) == 0 else (lo, mid)
            out.append((hi, hi + back))
        return tuple(out)
