"""What a worker may do: the checks the planter makes before putting a visit into a route.

Starts a worker may take a visit at (availability, flexible working, commitments, the lone-worker
and new-starter rules), whether a visit fits into a day's route at a start (travel, daily and
weekly minutes, rest between days, a break after six hours), whether it fits at any start
(``can_take``), the break's slot, and the working minutes a route adds up to. Starts are looked
for only between the route's visits around the visit's window (``route_gaps``), and ``recompute``
tells the ``screen`` of each change to a route. The state is the ``Team`` being built; nothing
here draws at random.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from selforg_scheduler.datasets.screen import NEVER, note_route
from selforg_scheduler.datasets.team import (
    BREAK_AFTER,
    BREAK_MINUTES,
    BREAK_WINDOW,
    BUDDY_CHECK_AFTER,
    DAY,
    LONE_LATEST_END,
    REST_MINUTES,
    Stop,
    Team,
    Visit,
    Worker,
)


def first_free(lo: int, hi: int, busy: list[tuple[int, int]], need: int = BREAK_MINUTES) -> int | None:
    """Start of the first ``need`` free minutes in [lo, hi] around ``busy`` (sorted by start)."""
    cur = lo
    for bs, be in busy:
        if be <= cur or bs >= hi:
            continue
        if bs - cur >= need:
            return cur
        cur = max(cur, be)
    return cur if hi - cur >= need else None


# --- ignoring the route ------------------------------------------------------------------------


def period_of(w: Worker, d: int, s: int, end: int) -> int:
    """Index of w's availability period on day d holding [s, end]."""
    return next(i for i, (a, b) in enumerate(w.periods[d]) if a <= s and end <= b)


def buddy_on(team: Team, w: Worker, d: int, at: int) -> bool:
    """Whether a buddy of w is available at ``at`` on day d."""
    return any(a <= at <= b for j in w.buddies for a, b in team.workers[j].periods[d])


def eligible(w: Worker, v: Visit, req: int, skills: bool = True) -> bool:
    """Skills (optionally) and the new-starter rule."""
    return (not skills or v.skills <= w.skills) and not (req == 1 and w.new)


def candidates(
    team: Team, w: Worker, v: Visit, req: int, lo: int, hi: int, fit: bool = True
) -> Iterator[tuple[int, int]]:
    """(start, availability period) pairs where w may do v with req workers, the start in
    [lo, hi] and the visit's window: every 5 minutes plus starts fitting tight to the route.

    With ``fit``, starts that overlap the route (with the travel to and from their neighbours)
    are left out: ``insertion`` would refuse them."""
    return _starts(team, w, v, req, _windows(team, w, v, req, lo, hi, fit))


def _starts(
    team: Team, w: Worker, v: Visit, req: int, windows: list[tuple[int, int, int, list[tuple[int, int]]]]
) -> Iterator[tuple[int, int]]:
    """``candidates`` in the given windows."""
    for pidx, s0, s1, gaps in windows:
        starts = set(range(s0 + (-s0) % 5, s1 + 1, 5))
        starts.add(s0)
        starts.add(s1)
        for stop in w.routes[v.day]:
            x = stop.end + team.tt[stop.loc][v.loc]
            if s0 <= x <= s1:
                starts.add(x)
            y = stop.start - team.tt[v.loc][stop.loc] - v.dur
            if s0 <= y <= s1:
                starts.add(y)
        g, last = 0, len(gaps) - 1
        for s in sorted(starts):
            while g < last and gaps[g][1] < s:
                g += 1
            if gaps[g][0] <= s <= gaps[g][1] and _free(team, w, v, req, s):
                yield s, pidx


def can_take(team: Team, w: Worker, v: Visit) -> bool:
    """Whether w can take v (with v.req workers) at a start ``candidates`` offers, as
    ``insertion`` checks it. The earliest start of each period is tried first: it mostly fits."""
    windows = _windows(team, w, v, v.req, v.e, v.l, True)
    for pidx, s0, _, gaps in windows:
        s = max(s0, gaps[0][0])  # the first start candidates offers in this period, if it is free
        if _free(team, w, v, v.req, s) and insertion(team, w, v, s, pidx) is not None:
            return True
    return any(insertion(team, w, v, s, pidx) is not None for s, pidx in _starts(team, w, v, v.req, windows))


def _windows(
    team: Team, w: Worker, v: Visit, req: int, lo: int, hi: int, fit: bool
) -> list[tuple[int, int, int, list[tuple[int, int]]]]:
    """(availability period, first start, last start, gaps of the route meeting them) where w's
    roster lets w start v with req workers, the start in [lo, hi]."""
    d = v.day
    base = d * DAY
    if d in w.avoid or (req == 1 and w.new):
        return []
    lo = max(lo, v.e, base + w.earliest[d])
    hi = min(hi, v.l, base + w.latest[d] - v.dur)
    if req == 1:
        hi = min(hi, base + LONE_LATEST_END - v.dur)
    if lo > hi:
        return []
    route = w.routes[d]
    out = []
    for pidx, (a, b) in enumerate(w.periods[d]):
        s0, s1 = max(lo, a), min(hi, b - v.dur)
        if s0 > s1:
            continue
        gaps = route_gaps(team, w, v, s0, s1) if route and fit else [(s0, s1)]
        if gaps:
            out.append((pidx, s0, s1, gaps))
    return out


def route_gaps(team: Team, w: Worker, v: Visit, s0: int, s1: int) -> list[tuple[int, int]]:
    """The (earliest, latest) starts of v between two consecutive visits of w's route on v's
    day (or before the first, or after the last) that leave the travel to and from them, for the
    gaps meeting [s0, s1], in order: ``insertion`` refuses every start outside them (it checks
    the rest). Only the visits around [s0, s1] are looked at (the route is sorted by start)."""
    d = v.day
    route = w.routes[d]
    to_v = team.tt[v.loc]
    dur = v.dur
    gaps = []
    # (s,) sorts just before a stop starting at s: the position insertion puts a visit at s
    for pos in range(bisect_left(route, (s0,)), bisect_left(route, (s1,)) + 1):
        if pos:
            prev = route[pos - 1]
            lo = prev.end + team.tt[prev.loc][v.loc]
            if lo > s1:
                continue
        else:
            lo = -NEVER
        if pos < len(route):
            nxt = route[pos]
            arrive = nxt.start - to_v[nxt.loc]
            if arrive - dur < max(lo, s0) or arrive < w.periods[d][nxt.period][0]:
                continue
            gaps.append((lo, arrive - dur))
        else:
            gaps.append((lo, NEVER))
    return gaps


def _free(team: Team, w: Worker, v: Visit, req: int, s: int) -> bool:
    """Whether a visit at s keeps clear of w's commitments and, alone late, has a buddy on."""
    d = v.day
    end = s + v.dur
    if any(s < ce and cs < end for cs, ce, _ in w.commits[d]):
        return False
    return req != 1 or end - d * DAY <= BUDDY_CHECK_AFTER or buddy_on(team, w, d, end)


# --- with the route ---------------------------------------------------------------------------


def overlaps_commitment(w: Worker, d: int, a: int, b: int) -> bool:
    """Whether [a, b] overlaps one of w's commitments on day d."""
    return any(a < ce and cs < b for cs, ce, _ in w.commits[d])


def insertion(team: Team, w: Worker, v: Visit, s: int, pidx: int) -> tuple[int, int] | None:
    """(position, added working minutes) if v fits into w's day at s under every rule."""
    d = v.day
    route = w.routes[d]
    tt = team.tt
    end = s + v.dur
    pos = bisect_left(route, (s,))  # the first stop starting at s or later
    prev = route[pos - 1] if pos else None
    nxt = route[pos] if pos < len(route) else None
    pa = w.periods[d][pidx][0]
    tp = tn = 0
    if prev is not None:
        tp = tt[prev.loc][v.loc]
        if s < prev.end + tp or s - tp < pa or (tp and overlaps_commitment(w, d, s - tp, s)):
            return None
    if nxt is not None:
        tn = tt[v.loc][nxt.loc]
        if nxt.start < end + tn or nxt.start - tn < w.periods[d][nxt.period][0]:
            return None
        if tn and overlaps_commitment(w, d, nxt.start - tn, nxt.start):
            return None
    delta = v.dur + tp + tn - (tt[prev.loc][nxt.loc] if prev is not None and nxt is not None else 0)
    work = w.day_work[d] + delta
    if work > w.max_day or w.week_work + delta > w.cap_week:
        return None
    first = min(s, route[0].start) if route else s
    last = max(end, route[-1].end) if route else end
    for dd in range(d - 1, -1, -1):
        if w.routes[dd]:
            if first - w.routes[dd][-1].end < REST_MINUTES:
                return None
            break
    for dd in range(d + 1, team.days):
        if w.routes[dd]:
            if w.routes[dd][0].start - last < REST_MINUTES:
                return None
            break
    new_route = route[:pos] + [Stop(s, end, -1, v.loc, pidx)] + route[pos:]
    if work > BREAK_AFTER:
        if break_slot(team, w, d, new_route) is None:
            return None
    elif not break_room(team, w, d, new_route):
        return None
    return pos, delta


def break_slot(team: Team, w: Worker, d: int, route: list[Stop]) -> int | None:
    """Start of a 20-minute break between two consecutive visits, in 11:00-15:00, clear of
    travel and commitments; None if there is none."""
    w0, w1 = d * DAY + BREAK_WINDOW[0], d * DAY + BREAK_WINDOW[1]
    for p, q in zip(route, route[1:], strict=False):
        lo = max(p.end, w0)
        hi = min(q.start - team.tt[p.loc][q.loc], w1)
        if hi - lo < BREAK_MINUTES:
            continue
        found = first_free(lo, hi, [(cs, ce) for cs, ce, _ in w.commits[d]])
        if found is not None:
            return found
    return None


def break_room(team: Team, w: Worker, d: int, route: list[Stop]) -> bool:
    """Whether an early shift, which may still grow past 6 hours, keeps 20 free minutes in
    11:00-15:00 (inside availability, clear of visits, travel and commitments) for its break."""
    w0, w1 = d * DAY + BREAK_WINDOW[0], d * DAY + BREAK_WINDOW[1]
    spans = [(max(a, w0), min(b, w1)) for a, b in w.periods[d] if min(b, w1) - max(a, w0) >= 120]
    if not spans:
        return True  # a split shift's gap holds the break; a late shift rarely runs past 6 h
    busy = [(cs, ce) for cs, ce, _ in w.commits[d]]
    prev = None
    for stop in route:
        travel = team.tt[prev.loc][stop.loc] if prev is not None else 0
        busy.append((stop.start - travel, stop.end))
        prev = stop
    busy.sort()
    return any(first_free(lo, hi, busy) is not None for lo, hi in spans)


def recompute(team: Team, w: Worker, d: int) -> None:
    """Refresh w's working minutes (visits and travel between them) for day d and the week."""
    route = w.routes[d]
    work = sum(s.end - s.start for s in route)
    work += sum(team.tt[a.loc][b.loc] for a, b in zip(route, route[1:], strict=False))
    w.week_work += work - w.day_work[d]
    w.day_work[d] = work
    note_route(team, w, d)
