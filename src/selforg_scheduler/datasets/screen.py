"""Which workers could take which visits, screened before the planter asks ``feasibility``
about each pair: a large team's circle is drawn from dozens of workers for every candidate visit,
and most of them are off, or busy, when the visit is wanted.

``Shifts`` keeps, for each worker and day, the stretches of time in which a visit could lie:
inside an availability period and the day's earliest start and latest end, clear of the
worker's visits and commitments (updated as visits are planted: ``note_route``), also as numpy
arrays to screen many pairs at once. ``reachable`` rules a pair out only where
``feasibility.candidates`` (with the route) would offer no start, so screening never changes
what is planted: a start candidates offers keeps its visit clear of the route's visits (and the
travel to and from them) and of commitments, inside a period and the day's limits.
"""

from __future__ import annotations

import numpy as np

from selforg_scheduler.datasets.team import DAY, LONE_LATEST_END, Team, Visit, Worker

NEVER = 1 << 40
"""A time later than any in a horizon (and its negative, earlier)."""
SLOTS = 24
"""Stretches kept per worker and day (more are taken to be the availability periods whole)."""
FAR = 1 << 30
"""``NEVER`` in the screen's 32-bit arrays (a horizon has at most 40,320 minutes)."""


class Shifts:
    """Each worker's open stretches per day (``spans[worker][day]``, and as arrays worker x day x
    ``SLOTS``), their new-starter flags, homes, weekly caps and the room left in their weeks."""

    def __init__(self, team: Team) -> None:
        ws, days = team.workers, team.days
        self.new = np.array([w.new for w in ws], dtype=bool)
        self.homes = np.array([w.home for w in ws], dtype=float).reshape(len(ws), 2)
        self.cap_week = np.array([max(1, w.cap_week) for w in ws], dtype=float)
        self.room = np.zeros(len(ws))  # minutes left in each worker's week
        self.spans: list[list[list[tuple[int, int]]]] = [[[] for _ in range(days)] for _ in ws]
        self.span_from = np.full((len(ws), days, SLOTS), FAR, dtype=np.int32)
        self.span_to = np.full((len(ws), days, SLOTS), -FAR, dtype=np.int32)
        self.width = 1  # the most stretches a day has had
        for w in ws:
            for d in range(days):
                self.note(w, d)

    def note(self, w: Worker, d: int) -> None:
        """Record the open stretches of w's day d, from its roster, route and commitments, and
        the room left in w's week."""
        self.room[w.idx] = w.cap_week - w.week_work
        spans: list[tuple[int, int]] = []
        if d not in w.avoid:
            lo, hi = d * DAY + w.earliest[d], d * DAY + w.latest[d]
            periods = [(max(a, lo), min(b, hi)) for a, b in w.periods[d]]
            busy = sorted([(stop.start, stop.end) for stop in w.routes[d]] + [(a, b) for a, b, _ in w.commits[d]])
            for a, b in periods:
                cur = a
                for bs, be in busy:
                    if bs >= b:
                        break
                    if bs > cur:
                        spans.append((cur, bs))
                    cur = max(cur, be)
                if cur < b:
                    spans.append((cur, b))
            if len(spans) > SLOTS:
                spans = periods
        self.spans[w.idx][d] = spans
        self.width = max(self.width, len(spans))
        pad = [(FAR, -FAR)] * (SLOTS - len(spans))
        self.span_from[w.idx, d], self.span_to[w.idx, d] = np.array(spans + pad, dtype=np.int32).T


def shifts(team: Team) -> Shifts:
    """The team's ``Shifts``, made on first use (once its roster is made)."""
    if team.shifts is None:
        team.shifts = Shifts(team)
    return team.shifts


def note_route(team: Team, w: Worker, d: int) -> None:
    """Keep the open stretches of w's day d up to date (once the screen is made)."""
    if team.shifts is not None:
        team.shifts.note(w, d)


def _bounds(v: Visit, req: int, lo: int, hi: int) -> tuple[int, int]:
    """The first and last start of v with req workers in [lo, hi] and its window."""
    last = min(hi, v.l)
    if req == 1:
        last = min(last, v.day * DAY + LONE_LATEST_END - v.dur)
    return max(lo, v.e), last


def may_start(team: Team, w: Worker, v: Visit, req: int, lo: int, hi: int) -> bool:
    """Whether ``candidates`` (with the route) might offer w a start for v with req workers in
    [lo, hi]: false means it offers none."""
    if req == 1 and w.new:
        return False
    first, last = _bounds(v, req, lo, hi)
    for a, b in shifts(team).spans[w.idx][v.day]:
        s = max(a, first)
        if s <= last and s + v.dur <= b:
            return True
    return False


def reachable(
    team: Team, vis: list[Visit], reqs: list[int], lo: list[int], hi: list[int], workers: list[int]
) -> np.ndarray:
    """``may_start`` for every visit (with reqs[i] workers, its start in [lo[i], hi[i]]) and
    worker, as a visits x ``workers`` array."""
    sh = shifts(team)
    day = np.array([v.day for v in vis], dtype=np.int64)[:, None]
    idx = np.array(workers, dtype=np.int64)[None, :]
    bounds = np.array([_bounds(v, r, a, b) for v, r, a, b in zip(vis, reqs, lo, hi, strict=True)], dtype=np.int32)
    first, last = bounds[:, 0, None, None], bounds[:, 1, None, None]
    dur = np.array([v.dur for v in vis], dtype=np.int32)[:, None, None]
    start = np.maximum(sh.span_from[:, :, : sh.width][idx, day], first)  # the first start in each stretch
    ok = ((start <= last) & (start + dur <= sh.span_to[:, :, : sh.width][idx, day])).any(axis=2)
    lone = (np.array(reqs) == 1)[:, None]
    return ok & ~(lone & sh.new[idx])


def call_room(team: Team, calls: dict[str, tuple[int, int, int]]) -> dict[str, list[int]]:
    """For each call (earliest start, latest start as minutes of the day, duration), how many
    experienced workers have a stretch open for it alone, day by day (travel left aside)."""
    sh = shifts(team)
    base = np.arange(team.days, dtype=np.int64) * DAY
    span_from, span_to = sh.span_from[:, :, : sh.width], sh.span_to[:, :, : sh.width]
    out = {}
    for call, (e, l_, dur) in calls.items():
        first = (base + e)[None, :, None]
        last = np.minimum(base + l_, base + LONE_LATEST_END - dur)[None, :, None]
        start = np.maximum(span_from, first)
        ok = ((start <= last) & (start + dur <= span_to)).any(axis=2) & ~sh.new[:, None]
        out[call] = ok.sum(axis=0).tolist()
    return out
