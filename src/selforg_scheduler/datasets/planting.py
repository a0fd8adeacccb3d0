"""The planted rota: clients taken on one at a time, their visits put into the workers' routes.

Each client (or household) gets a circle of up to 3 workers with room for its calls, and its
candidate visits are planted into the workers' routes by cheapest feasible insertion (linked
visits of a household as a pair). A candidate visit that cannot be planted is left out of the
instance; a client that loses too many is dropped and the team's state is rolled back. Clients
are added until the number of visits is near the target (``make_clients``).
"""

from __future__ import annotations

import itertools
import logging

from selforg_scheduler.datasets.clients import make_spec, retime
from selforg_scheduler.datasets.feasibility import (
    candidates,
    eligible,
    insertion,
    period_of,
    recompute,
)
from selforg_scheduler.datasets.geography import add_point, km
from selforg_scheduler.datasets.team import (
    ACCEPT_SHARE,
    DAY,
    LAST_ACCEPT_SHARE,
    MAX_CLIENT_WORKERS,
    RETIME_TRIES,
    Client,
    Spec,
    Stop,
    Team,
    Visit,
    Worker,
)

log = logging.getLogger(__name__)


def _cost(team: Team, w: Worker, c: Client, v: Visit, s: int, delta: int) -> float:
    """Preference of giving v to w at s: familiar faces, little travel, light load."""
    cost = 0.0
    if w.idx not in c.counts:
        cost += 25.0
    cost += 6.0 * c.circle.index(w.idx) if w.idx in c.circle else 60.0
    cost += delta - v.dur  # added travel
    cost += 0.02 * (s - v.e)
    cost += 15.0 * w.week_work / max(1, w.cap_week)
    if w.new:
        cost -= 30.0  # a new starter's time is free: they only ever join double-ups
    return cost


def _options(
    team: Team, vi: int, req: int, lo: int, hi: int, circle_only: bool
) -> list[tuple[float, int, tuple[int, ...]]]:
    """Feasible (cost, start, workers) for visit vi with req workers, start in [lo, hi]."""
    v = team.visits[vi]
    c = team.clients[v.client]
    cands = [w for w in team.workers if eligible(w, v, req) and (not circle_only or w.idx in c.circle)]
    free = MAX_CLIENT_WORKERS - len(c.counts)
    if free <= 0:
        cands = [w for w in cands if w.idx in c.counts]
    per_start: dict[int, list[tuple[float, int]]] = {}
    for w in cands:
        for s, pidx in candidates(team, w, v, req, lo, hi):
            ins = insertion(team, w, v, s, pidx)
            if ins is None:
                continue
            per_start.setdefault(s, []).append((_cost(team, w, c, v, s, ins[1]), w.idx))
    out: list[tuple[float, int, tuple[int, ...]]] = []
    if req == 1:
        for s, lst in per_start.items():
            for cst, wi in lst:
                out.append((cst, s, (wi,)))
    else:
        for s, lst in per_start.items():
            for (c1, w1), (c2, w2) in itertools.combinations(lst, 2):
                if team.workers[w1].new and team.workers[w2].new:
                    continue
                newfaces = (w1 not in c.counts) + (w2 not in c.counts)
                if newfaces > free:
                    continue
                out.append((c1 + c2, s, tuple(sorted((w1, w2)))))
    out.sort()
    return out


def _apply(team: Team, vi: int, s: int, ws: tuple[int, ...]) -> None:
    """Put visit vi into the workers' routes at s."""
    v = team.visits[vi]
    c = team.clients[v.client]
    for wi in ws:
        w = team.workers[wi]
        pidx = period_of(w, v.day, s, s + v.dur)
        route = w.routes[v.day]
        pos = 0
        while pos < len(route) and route[pos].start < s:
            pos += 1
        route.insert(pos, Stop(s, s + v.dur, vi, v.loc, pidx))
        recompute(team, w, v.day)
        c.counts[wi] = c.counts.get(wi, 0) + 1
    v.start, v.workers, v.req = s, ws, len(ws)


def _unapply(team: Team, vi: int) -> None:
    """Take visit vi out of its workers' routes."""
    v = team.visits[vi]
    c = team.clients[v.client]
    for wi in v.workers:
        w = team.workers[wi]
        w.routes[v.day] = [st for st in w.routes[v.day] if st.visit != vi]
        recompute(team, w, v.day)
        c.counts[wi] -= 1
        if not c.counts[wi]:
            del c.counts[wi]
    v.start, v.workers = -1, ()


def _plant(team: Team, vi: int, circle_only: bool) -> bool:
    """Plant visit vi at its cheapest feasible start and workers; False if it fits nowhere."""
    v = team.visits[vi]
    opts = _options(team, vi, v.req, v.e, v.l, circle_only)
    if not opts and v.req == 2 and v.fallback_single and not circle_only:
        opts = _options(team, vi, 1, v.e, v.l, circle_only)
    if not opts:
        return False
    _, s, ws = opts[0]
    _apply(team, vi, s, ws)
    return True


def _plant_pair(team: Team, a: int, b: int, gap_lo: int, gap_hi: int, circle_only: bool) -> bool:
    """Plant linked visits a then b with b.start - a.start in [gap_lo, gap_hi]."""
    va = team.visits[a]
    for _, s, ws in _options(team, a, va.req, va.e, va.l, circle_only)[:25]:
        _apply(team, a, s, ws)
        vb = team.visits[b]
        opts = _options(team, b, vb.req, s + gap_lo, s + gap_hi, circle_only)
        if opts:
            _, s2, ws2 = opts[0]
            _apply(team, b, s2, ws2)
            return True
        _unapply(team, a)
    return False


NEARBY_WORKERS = 48
"""A person's circle is drawn from the workers living nearest them, at most this many (every
worker in a team of up to 48: their rosters do not change). Asking every worker of a 500-strong
pool about every visit made the generator quadratic in its size."""


def _nearby_workers(team: Team, point: tuple[float, float]) -> list[Worker]:
    """The ``NEARBY_WORKERS`` workers whose homes are nearest ``point``, in worker order."""
    if len(team.workers) <= NEARBY_WORKERS:
        return team.workers
    near = sorted(team.workers, key=lambda w: (km(point, w.home), w.idx))[:NEARBY_WORKERS]
    return sorted(near, key=lambda w: w.idx)


def _choose_circle(team: Team, vis: list[Visit], point: tuple[float, float]) -> tuple[list[int], list[bool]]:
    """Up to 3 workers with room for most of these visits in their shifts and routes, lightly
    loaded, working nearby and with the skills wanted (the visits' skills are fitted to the
    circle afterwards), and which of the visits it can take (one flag per visit)."""
    fits: list[tuple[int, int]] = []  # (req, mask)
    count = [0] * len(team.workers)
    nearby = _nearby_workers(team, point)
    for v in vis:
        mask = 0
        for w in nearby:
            if not eligible(w, v, v.req, skills=False):
                continue
            for s, pidx in candidates(team, w, v, v.req, v.e, v.l):
                if insertion(team, w, v, s, pidx) is not None:
                    mask |= 1 << w.idx
                    count[w.idx] += 1
                    break
        fits.append((v.req, mask))

    doubles = any(req == 2 for req, _ in fits)
    wanted = frozenset().union(*(v.skills for v in vis))

    def load(wi: int) -> float:  # lower is better
        w = team.workers[wi]
        if w.new:
            return -300.0 if doubles else 0.0
        geo = 0.0
        if w.served:
            geo = km(point, (w.lat_sum / w.served, w.lon_sum / w.served))
        return 200.0 * w.week_work / max(1, w.cap_week) + 30.0 * geo - 60.0 * len(wanted & w.skills)

    able = (wi for wi in range(len(team.workers)) if count[wi])
    cand = sorted(able, key=lambda i: (-count[i], load(i), i))[:8]
    if not cand:
        return [], [False] * len(vis)
    exp_mask = sum(1 << w.idx for w in team.workers if not w.new)
    best: tuple[float, tuple[int, ...], list[bool]] | None = None
    for combo in itertools.combinations(cand, min(MAX_CLIENT_WORKERS, len(cand))):
        m = sum(1 << i for i in combo)
        flags = [(mask & m & exp_mask) != 0 and (mask & m).bit_count() >= req for req, mask in fits]
        score = 1000.0 * sum(flags) - sum(load(i) for i in combo)
        if best is None or score > best[0]:
            best = (score, combo, flags)
    assert best is not None
    return sorted(best[1], key=lambda i: (-count[i], load(i), i)), best[2]


def add_clients(team: Team, specs: list[Spec], deps: list[tuple[int, int, int, int, list[int]]]) -> int:
    """Plant a client (or a household); return visits planted, or 0 if it was dropped.

    ``deps`` are (first client, first call, second client, second call, days) in spec terms.
    """
    n_visits0, n_clients0, n_points0 = len(team.visits), len(team.clients), len(team.points)
    vmap: dict[tuple[int, int, int], int] = {}
    locs = []
    for spec in specs:
        known = spec.point in team.points
        locs.append(team.points.index(spec.point) if known else add_point(team, spec.point))
    for k, spec in enumerate(specs):
        loc = locs[k]
        ci = len(team.clients)
        team.clients.append(Client(spec.name, loc, spec.two_workers))
        for ki, (call, e, l_, dur, req, skills, call_days) in enumerate(spec.calls):
            for d in call_days:
                vi = len(team.visits)
                single_ok = req == 2 and not spec.two_workers
                team.visits.append(Visit(ci, loc, d, d * DAY + e, d * DAY + l_, dur, req, skills, call, single_ok))
                team.clients[ci].visits.append(vi)
                vmap[(k, ki, d)] = vi
    new_vis = list(range(n_visits0, len(team.visits)))
    need = min(0.6, team.accept_share) if any(s.two_workers for s in specs) else team.accept_share
    circle, reach = _choose_circle(team, [team.visits[vi] for vi in new_vis], specs[0].point)
    hopeful = sum(reach) >= need * len(new_vis)
    for ci in range(n_clients0, len(team.clients)):
        team.clients[ci].circle = circle
    # A call keeps a wanted skill only if every circle member who can make that call has it:
    # the team gives a person needing dementia care a circle trained in it.
    by_call: dict[tuple[int, str], list[int]] = {}
    for vi in new_vis:
        by_call.setdefault((team.visits[vi].client, team.visits[vi].call), []).append(vi)
    for group in by_call.values():
        keep = set(team.visits[group[0]].skills)
        for wi in circle:
            w = team.workers[wi]
            for vi in group:
                v = team.visits[vi]
                if next(candidates(team, w, v, v.req, v.e, v.l), None) is not None:
                    keep &= w.skills
                    break
        for vi in group:
            team.visits[vi].skills = frozenset(keep)
    planted: list[int] = []
    pairs: list[tuple[int, int, int, int]] = []
    todo_pairs: list[tuple[int, int, int, int]] = []
    for c1, k1, c2, k2, gaps in deps:
        for d in range(team.days):
            a, b = vmap.get((c1, k1, d)), vmap.get((c2, k2, d))
            if a is not None and b is not None:
                todo_pairs.append((a, b, gaps[0], gaps[1]))
    in_pairs = {x for p in todo_pairs for x in p[:2]}
    rest = [vi for vi in new_vis if vi not in in_pairs]
    rest.sort(key=lambda vi: (-team.visits[vi].req, team.visits[vi].e, vi))
    for circle_only in (True, False) if hopeful else ():
        for a, b, lo, hi in todo_pairs:
            if not team.visits[a].workers and _plant_pair(team, a, b, lo, hi, circle_only):
                planted += [a, b]
                pairs.append((a, b, lo, hi))
        for vi in rest:
            if not team.visits[vi].workers and _plant(team, vi, circle_only):
                planted.append(vi)
    stats: dict[str, list[int]] = {}
    for k, vi in enumerate(new_vis):
        v = team.visits[vi]
        st = stats.setdefault(v.call, [0, 0])
        st[0] += 1
        st[1] += not (v.workers if hopeful else reach[k])
    for call, (n, failed) in stats.items():
        team.pressure[call] = 0.6 * team.pressure.get(call, 0.0) + 0.4 * failed / n
    if not new_vis or len(planted) < need * len(new_vis):
        for vi in reversed(planted):
            _unapply(team, vi)
        del team.visits[n_visits0:]
        del team.clients[n_clients0:]
        del team.points[n_points0:]
        team.tt = [row[:n_points0] for row in team.tt[:n_points0]]
        for spec in specs:
            team.names.used.discard(spec.name)
        return 0
    team.deps.extend(pairs)
    for ci in range(n_clients0, len(team.clients)):
        for wi in team.clients[ci].counts:
            w = team.workers[wi]
            w.served += 1
            w.lat_sum += specs[0].point[0]
            w.lon_sum += specs[0].point[1]
    return len(planted)


def make_clients(team: Team) -> None:
    """Add clients one at a time until the planted visits are near the target."""
    tol = max(1, int(0.03 * team.target))  # overshoot allowed
    low = max(1, round(0.01 * team.target))  # undershoot aimed for
    total = 0
    plan: list[str] = []
    if team.n >= 9:
        plan += ["two", "four", "hoist", "couple", "three", "hoist", "pair", "four", "hoist"]
        plan += ["three", "hoist", "hoist", "three", "hoist"]
    elif team.n >= 3:
        plan += ["couple", "pair"]
    rejects = 0
    attempts = 0
    heavy = True  # people with daily calls first, while the rota has room for them
    while total < team.target - low and rejects < 100 and attempts < 2000:
        attempts += 1
        if heavy and (rejects >= 20 or total >= 0.8 * team.target):
            heavy = False
        # a full rota: take on people whose care the team can only partly give
        team.accept_share = ACCEPT_SHARE if rejects < 40 else LAST_ACCEPT_SHARE
        kind = plan.pop(0) if plan else "regular"
        remaining = team.target - total
        specs = make_spec(team, kind, max_visits=remaining + tol, daily_only=heavy)
        if not specs:
            break
        if sum(len(c[6]) for s in specs for c in s.calls) > remaining + tol:
            for s in specs:
                team.names.used.discard(s.name)
            continue
        deps: list[tuple[int, int, int, int, list[int]]] = []
        if kind == "couple":
            deps = [(0, 0, 1, 0, [0, 30])]
        elif kind == "pair":
            deps = [(0, 1, 1, 0, [0, 0])]
        got = add_clients(team, specs, deps)
        for _ in range(RETIME_TRIES if len(specs) == 1 and not got else 0):
            specs = [retime(team, specs[0])]
            team.names.used.add(specs[0].name)
            got = add_clients(team, specs, deps)
            if got:
                break
        if got:
            total += got
            rejects = 0
        else:
            rejects += 1
    if total < 0.95 * team.target:
        log.warning("team %s: planted %d visits, short of the target %d", team.town[0], total, team.target)
