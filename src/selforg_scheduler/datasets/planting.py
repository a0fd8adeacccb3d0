"""The planted rota: clients taken on one at a time, their visits put into the workers' routes.

Each client (or household) gets a circle of up to 3 workers with room for its calls
(``circles``), and its candidate visits are planted into the workers' routes by cheapest feasible
insertion (linked visits of a household as a pair). A candidate visit that cannot be planted is
left out of the instance; a client that loses too many is dropped and the team's state is rolled
back. Clients are added until the team has exactly the visits wanted, the last one's visits cut
short to reach it; a team whose workers cannot carry them all says so (``make_clients``).
"""

from __future__ import annotations

import itertools
import logging
import math
from bisect import bisect_left, insort

from selforg_scheduler.datasets.circles import choose_circle, nearby_workers
from selforg_scheduler.datasets.clients import make_spec, retime
from selforg_scheduler.datasets.feasibility import (
    candidates,
    eligible,
    insertion,
    period_of,
    recompute,
)
from selforg_scheduler.datasets.geography import add_point, drop_points
from selforg_scheduler.datasets.screen import may_start, reachable
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

SCREEN_MANY = 16
"""Workers screened together with numpy (``screen.reachable``) rather than one by one."""


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
    team: Team, vi: int, req: int, lo: int, hi: int, circle_only: bool, best: bool = False
) -> list[tuple[float, int, tuple[int, ...]]]:
    """Feasible (cost, start, workers) for visit vi with req workers, start in [lo, hi], the
    cheapest first: its circle's workers (or those it already has, at 3), else the workers near
    the client. With ``best`` (for the cheapest alone) a lone visit's starts between the same
    two visits of a worker's route are tried only until one fits: the later ones there add the
    same travel and cost more."""
    v = team.visits[vi]
    c = team.clients[v.client]
    free = MAX_CLIENT_WORKERS - len(c.counts)
    pool = sorted(c.counts if free <= 0 else c.circle if circle_only else c.nearby)
    cands = [team.workers[wi] for wi in pool if eligible(team.workers[wi], v, req)]
    if len(cands) > SCREEN_MANY:
        may = reachable(team, [v], [req], [lo], [hi], [w.idx for w in cands])[0].tolist()
        cands = [w for w, ok in zip(cands, may, strict=True) if ok]
    else:
        cands = [w for w in cands if may_start(team, w, v, req, lo, hi)]
    per_start: dict[int, list[tuple[float, int]]] = {}
    for w in cands:
        route = w.routes[v.day]
        done: set[int] = set()  # positions in the route where a start fits (with best)
        for s, pidx in candidates(team, w, v, req, lo, hi):
            if done and bisect_left(route, (s,)) in done:
                continue
            ins = insertion(team, w, v, s, pidx)
            if ins is None:
                continue
            if best and req == 1:
                done.add(ins[0])
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
        insort(w.routes[v.day], Stop(s, s + v.dur, vi, v.loc, pidx))
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
    opts = _options(team, vi, v.req, v.e, v.l, circle_only, best=True)
    if not opts and v.req == 2 and v.fallback_single and not circle_only:
        opts = _options(team, vi, 1, v.e, v.l, circle_only, best=True)
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
        opts = _options(team, b, vb.req, s + gap_lo, s + gap_hi, circle_only, best=True)
        if opts:
            _, s2, ws2 = opts[0]
            _apply(team, b, s2, ws2)
            return True
        _unapply(team, a)
    return False


def add_clients(
    team: Team, specs: list[Spec], deps: list[tuple[int, int, int, int, list[int]]], cap: int | None = None
) -> int:
    """Plant a client (or a household); return visits planted, or 0 if it was dropped.

    ``deps`` are (first client, first call, second client, second call, days) in spec terms. At
    most ``cap`` visits are planted (the rest are left out, as visits that fit nowhere are), and
    planting ``cap`` of them is enough to take the client on.
    """
    n_visits0, n_clients0, n_points0 = len(team.visits), len(team.clients), len(team.points)
    vmap: dict[tuple[int, int, int], int] = {}
    locs = []
    for spec in specs:
        known = team.point_index.get(spec.point)
        locs.append(known if known is not None else add_point(team, spec.point))
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
    limit = len(new_vis) if cap is None else min(cap, len(new_vis))
    need = min(0.6, team.accept_share) if any(s.two_workers for s in specs) else team.accept_share
    enough = need * limit  # (of the visits wanted, when the cap cuts them short)
    nearby = nearby_workers(team, specs[0].point)
    circle, reach = choose_circle(team, [team.visits[vi] for vi in new_vis], specs[0].point, nearby)
    hopeful = sum(reach) >= enough
    for ci in range(n_clients0, len(team.clients)):
        team.clients[ci].circle = circle
        team.clients[ci].nearby = [w.idx for w in nearby]
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
                if next(candidates(team, w, v, v.req, v.e, v.l, fit=False), None) is not None:
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
            if len(planted) + 2 > limit:
                break
            if not team.visits[a].workers and _plant_pair(team, a, b, lo, hi, circle_only):
                planted += [a, b]
                pairs.append((a, b, lo, hi))
        for vi in rest:
            if len(planted) >= limit:
                break
            if not team.visits[vi].workers and _plant(team, vi, circle_only):
                planted.append(vi)
    if limit == len(new_vis):  # (a client cut short by the cap says nothing of the calls' pressure)
        _note_pressure(team, [team.visits[vi] for vi in new_vis], reach if not hopeful else None)
    if not new_vis or len(planted) < enough:
        for vi in reversed(planted):
            _unapply(team, vi)
        del team.visits[n_visits0:]
        del team.clients[n_clients0:]
        drop_points(team, n_points0)
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


def _note_pressure(team: Team, vis: list[Visit], reach: list[bool] | None) -> None:
    """Update each call's recent share of candidate visits that failed (planted, or, for a client
    the circle could not take on, reached by the circle)."""
    stats: dict[str, list[int]] = {}
    for k, v in enumerate(vis):
        st = stats.setdefault(v.call, [0, 0])
        st[0] += 1
        st[1] += not (v.workers if reach is None else reach[k])
    for call, (n, failed) in stats.items():
        team.pressure[call] = 0.6 * team.pressure.get(call, 0.0) + 0.4 * failed / n


MAX_ATTEMPTS = 2000
"""Care plans a team draws at most, or ``ATTEMPTS_PER_VISIT`` per visit wanted if that is more
(a team of 500 takes on about 2,000 people, turning down more)."""
ATTEMPTS_PER_VISIT = 0.3
MAX_REJECTS = 100
"""Care plans the team may turn down in a row before its rota is taken to be full for them; it
then takes on people needing one call on a few days, at times it still has room for, until it
turns this many of them down in a row too (or has drawn ``MAX_ATTEMPTS`` more)."""


def make_clients(team: Team) -> None:
    """Add clients one at a time until the planted visits reach the target (the last one's
    visits cut short to reach it exactly); a warning says so if the team cannot carry them."""
    tol = max(1, int(0.03 * team.target))  # a care plan may have this many visits more than wanted
    total = 0
    plan: list[str] = []
    if team.n >= 9:
        plan += ["two", "four", "hoist", "couple", "three", "hoist", "pair", "four", "hoist"]
        plan += ["three", "hoist", "hoist", "three", "hoist"]
    elif team.n >= 3:
        plan += ["couple", "pair"]
    rejects = 0
    attempts = 0
    max_attempts = max(MAX_ATTEMPTS, math.ceil(ATTEMPTS_PER_VISIT * team.target))
    heavy = True  # people with daily calls first, while the rota has room for them
    filling = False  # a rota full for them: then people with a few calls where it has room
    while total < team.target:
        if rejects >= MAX_REJECTS or attempts >= max_attempts:
            if filling:
                break
            filling, rejects, max_attempts = True, 0, attempts + MAX_ATTEMPTS
        attempts += 1
        if heavy and (rejects >= 20 or total >= 0.8 * team.target):
            heavy = False
        # a full rota: take on people whose care the team can only partly give
        team.accept_share = ACCEPT_SHARE if rejects < 40 else LAST_ACCEPT_SHARE
        kind = plan.pop(0) if plan else "fill" if filling else "regular"
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
        got = add_clients(team, specs, deps, cap=remaining)
        for _ in range(RETIME_TRIES if len(specs) == 1 and not got else 0):
            specs = [retime(team, specs[0])]
            team.names.used.add(specs[0].name)
            got = add_clients(team, specs, deps, cap=remaining)
            if got:
                break
        if got:
            total += got
            rejects = 0
        else:
            rejects += 1
    if total < team.target:
        log.warning(
            "team %s: planted %d of the %d visits requested (%d short): its workers cannot carry more",
            team.town[0], total, team.target, team.target - total,
        )  # fmt: skip
