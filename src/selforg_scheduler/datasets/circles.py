"""A person's circle: the up to 3 workers who take most of their care, chosen from the workers
living nearest them who still have room in their week.

``nearby_workers`` picks whom to ask; ``choose_circle`` asks them which of the person's candidate
visits each could take (``feasibility.can_take``, after ``screen.reachable`` has ruled out the
workers who are off or busy then), ranks the workers who could take the most, and picks the
three of the best eight that together take the most visits, lightly loaded and close by.
"""

from __future__ import annotations

import itertools
import math
from bisect import insort

import numpy as np

from selforg_scheduler.datasets.feasibility import can_take
from selforg_scheduler.datasets.geography import km
from selforg_scheduler.datasets.screen import reachable, shifts
from selforg_scheduler.datasets.team import MAX_CLIENT_WORKERS, Team, Visit, Worker

NEARBY_WORKERS = 48
"""A person's circle is drawn from the workers living nearest them who still have room in their
week, at most this many (every worker in a team of up to 48: their rosters do not change). Asking
every worker of a 500-strong pool about every visit made the generator quadratic in its size, and
asking only the nearest filled their weeks while workers a little further away sat idle."""
ROOM_MINUTES = 60
"""A worker with less room than this in their week is asked only if too few others are near."""
LOAD_KM = 3.0
"""A worker whose week is full counts as living this much further away: the nearest workers
fill up first, and then those a little further away who have more room (otherwise a large
team's workers at the edge of its area were never asked while people went without care)."""
RANKED = 8
"""The workers who could take the most of a person's visits, among whom the circle is chosen."""


def nearby_workers(team: Team, point: tuple[float, float]) -> list[Worker]:
    """The ``NEARBY_WORKERS`` workers whose homes are nearest ``point`` (by km, plus
    ``LOAD_KM`` times the share of their week taken), those with ``ROOM_MINUTES`` left in their
    week first, in worker order."""
    ws = team.workers
    if len(ws) <= NEARBY_WORKERS:
        return ws
    sh = shifts(team)
    north = (point[0] - sh.homes[:, 0]) * 111.195
    east = (point[1] - sh.homes[:, 1]) * (111.195 * math.cos(math.radians(point[0])))
    load = 1.0 - sh.room / sh.cap_week  # the share of the week taken
    order = np.lexsort((np.arange(len(ws)), np.hypot(north, east) + LOAD_KM * load, sh.room < ROOM_MINUTES))
    return [ws[i] for i in sorted(order[:NEARBY_WORKERS].tolist())]


def choose_circle(
    team: Team, vis: list[Visit], point: tuple[float, float], nearby: list[Worker]
) -> tuple[list[int], list[bool]]:
    """Up to 3 of the ``nearby`` workers with room for most of these visits in their shifts and
    routes, lightly loaded, working nearby and with the skills wanted (the visits' skills are
    fitted to the circle afterwards), and which of the visits it can take (one flag per visit)."""
    count, masks = _fits(team, vis, nearby)
    fits = [(v.req, mask) for v, mask in zip(vis, masks, strict=True)]
    doubles = any(req == 2 for req, _ in fits)
    wanted = frozenset().union(*(v.skills for v in vis))
    loads: dict[int, float] = {}

    def load(wi: int) -> float:  # lower is better
        if wi not in loads:
            loads[wi] = _load(team, team.workers[wi], point, doubles, wanted)
        return loads[wi]

    cand = sorted(count, key=lambda i: (-count[i], load(i), i))[:RANKED]
    if not cand:
        return [], [False] * len(vis)
    exp_mask = sum(1 << wi for wi in cand if not team.workers[wi].new)
    best: tuple[float, tuple[int, ...], list[bool]] | None = None
    for combo in itertools.combinations(cand, min(MAX_CLIENT_WORKERS, len(cand))):
        m = sum(1 << i for i in combo)
        flags = [(mask & m & exp_mask) != 0 and (mask & m).bit_count() >= req for req, mask in fits]
        score = 1000.0 * sum(flags) - sum(load(i) for i in combo)
        if best is None or score > best[0]:
            best = (score, combo, flags)
    assert best is not None
    return sorted(best[1], key=lambda i: (-count[i], load(i), i)), best[2]


def _load(team: Team, w: Worker, point: tuple[float, float], doubles: bool, wanted: frozenset[str]) -> float:
    """How little a worker suits a person's circle: a full week, a round far away, missing skills."""
    if w.new:
        return -300.0 if doubles else 0.0
    geo = 0.0
    if w.served:
        geo = km(point, (w.lat_sum / w.served, w.lon_sum / w.served))
    return 200.0 * w.week_work / max(1, w.cap_week) + 30.0 * geo - 60.0 * len(wanted & w.skills)


def _fits(team: Team, vis: list[Visit], nearby: list[Worker]) -> tuple[dict[int, int], list[int]]:
    """How many of the visits each worker who may be among the ``RANKED`` best could take
    (worker index -> count, for counts above 0), and each visit's mask of the workers who could
    take it (a bit per worker index; exact for the workers counted).

    Workers are asked in order of the visits the screen leaves them (an upper bound of their
    count); one whose bound falls below the ``RANKED``-th best count so far cannot be among the
    best (ties are ranked by load), so neither they nor those after them are asked further."""
    may = reachable(team, vis, [v.req for v in vis], [v.e for v in vis], [v.l for v in vis], [w.idx for w in nearby])
    columns = may.T.tolist()
    bound = [sum(col) for col in columns]
    counts: dict[int, int] = {}
    masks = [0] * len(vis)
    best: list[int] = []  # the counts so far, negated and sorted (best first)
    for j in sorted(range(len(nearby)), key=lambda j: (-bound[j], j)):
        least = -best[RANKED - 1] if len(best) >= RANKED else 1  # the count to reach
        if bound[j] < least:
            break
        w = nearby[j]
        rows = [i for i, ok in enumerate(columns[j]) if ok]
        got = 0
        for k, i in enumerate(rows):
            if got + len(rows) - k < least:
                break  # it cannot reach the best any more: left uncounted
            if can_take(team, w, vis[i]):
                masks[i] |= 1 << w.idx
                got += 1
        else:
            if got:
                counts[w.idx] = got
                insort(best, -got)
    return counts, masks
