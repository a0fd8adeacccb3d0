"""The team's roster: workers, their rota lines (shifts and availability), buddy groups,
contracts and overtime, flexible-working agreements, skills and commitments.

Rota lines (early / late / split shifts; a late is never followed by an early) give each
worker's availability; the team is a double-up early trio, a double-up late trio and pods of three
whose lines cover every day. ``make_workers`` fills ``Team.workers`` and ``Team.groups``.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import timedelta

from selforg_scheduler.datasets.geography import disc, offset
from selforg_scheduler.datasets.team import (
    DAY,
    MAX_WEEK_MINUTES,
    ROLE_SLACK,
    Team,
    Worker,
)

SKILLS = ("medication", "moving_and_handling", "dementia_care", "catheter_care", "peg_feeding")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Shifts as (start, end) minutes of the day; "e" is the school-run early shift.
SHIFTS: dict[str, tuple[tuple[int, int], ...]] = {
    "E": ((7 * 60, 14 * 60 + 30),),
    "e": ((9 * 60 + 15, 14 * 60 + 30),),
    "L": ((14 * 60, 22 * 60),),
    "S": ((7 * 60, 10 * 60 + 30), (16 * 60 + 30, 21 * 60 + 30)),
    "O": (),
}
# Rota lines, Monday first. After L or S (ending 21:30 or later) comes L or a day off, never a
# 07:00 start; every line is also valid read cyclically, so any rotation of it is a valid line.
# A pod of three covers every day with an early (morning and lunch calls) and a late or split
# (tea and bed calls), so any care plan can keep to the pod's three faces. Pods come in pairs with
# the same lines: buddies hold the same line, so a buddy is on when a late lone visit ends.
# Lines with six days are for workers with an overtime allowance (availability, not hours).
POD = ("EEEEEEO", "OSLLLLL", "LLOEEEE")
POD_PART_TIME_C = "LLOOOEE"
# Double-up trios: every day at least two of the three are on, at least one of them experienced.
MORNING_TRIO = ("eeeeeOO", "EOEEEEE", "EEOOEEE")  # school run, latest-end wish, new starter
EVENING_TRIO = ("LLLLLLO", "OLLLLLL", "LLOOOLL")  # the third is a new starter
EXTRA_LINES = ("EEEEEOO", "OOLLLLL")


def make_workers(team: Team) -> None:
    """Workers: rota lines, buddies, contracts, flexible working, skills, commitments."""
    rng, n, days = team.rng, team.n, team.days
    width = max(2, len(str(n)))
    ws = [Worker(i, f"{team.prefix}w{i + 1:0{width}d}", days) for i in range(n)]
    team.workers = ws
    for w in ws:
        w.name = team.names.worker()
        w.home = offset(*team.centre, *disc(rng, 6.0))
    slots, groups = _roster(n, rng)
    perm = list(range(n))
    rng.shuffle(perm)  # roster slot k is worker perm[k]
    tags: list[set[str]] = [set() for _ in range(n)]
    for k, (line, tag) in enumerate(slots):
        ws[perm[k]].line = line
        tags[perm[k]] = tag
    team.groups = [sorted(perm[k] for k in g) for g in groups]
    for g in team.groups:
        for i in g:
            ws[i].buddies = [j for j in g if j != i]
    for i, w in enumerate(ws):
        t = tags[i]
        w.new = "new" in t
        if w.new:
            w.overtime = 0
        elif sum(c != "O" for c in w.line) >= 6:
            w.overtime = rng.choice((240, 300))
        else:
            w.overtime = rng.choice((0, 60, 120, 120, 180, 240, 300))
        if "school" in t:
            w.contract = 1500
            w.overtime = rng.choice((0, 60))
            weekdays = list(WEEKDAYS[:5])
            w.flex.append({"kind": "earliest_start", "time": "09:15", "days": weekdays, "strength": "agreed"})
        if "part" in t:
            w.contract = rng.choice((1200, 1350, 1440))
        if "late" in t:
            w.flex.append({"kind": "latest_end", "time": "18:00", "strength": "wish"})
            w.latest = [18 * 60] * days
        if "maxday" in t:
            w.flex.append({"kind": "max_minutes_per_day", "minutes": 420, "strength": "agreed"})
            w.max_day = 420
        for d in range(days):
            for a, b in SHIFTS[w.line[team.weekday[d]]]:
                w.periods[d].append((d * DAY + a, d * DAY + b))
        if "school" in t:
            for d in range(days):
                if team.weekday[d] < 5:
                    w.earliest[d] = 9 * 60 + 15
                    # Available from 07:00 (they can cover then in a pinch), but the school
                    # run is agreed: the agreement, not the availability, keeps them to 09:15.
                    w.periods[d] = [(d * DAY + 7 * 60, b) for _, b in w.periods[d]]
        if "part" in t:
            # A compressed part-time week: an agreed weekday off inside their rota line.
            weekdays_on = [d for d in range(days) if w.periods[d] and team.weekday[d] < 5]
            if weekdays_on:
                d = weekdays_on[len(weekdays_on) // 2]
                w.avoid.add(d)
                w.flex.append({"kind": "day_off", "days": [WEEKDAYS[team.weekday[d]]], "strength": "agreed"})
        if "dayoff" in t:
            working = [d for d in range(days) if w.periods[d]]
            weekend = [d for d in working if team.weekday[d] >= 5]
            if working:
                d = (weekend or working)[0]
                w.avoid.add(d)
                day_off = (team.start + timedelta(days=d)).isoformat()
                w.flex.append({"kind": "day_off", "date": day_off, "strength": "wish"})
    # skills: most have medication; double-up workers and new starters moving and handling
    exp = [w.idx for w in ws if not w.new]
    for i, w in enumerate(ws):
        if w.new:
            skills = {"moving_and_handling"} | ({"medication"} if rng.random() < 0.5 else set())
        else:
            skills = {s for s, p in zip(SKILLS, (0.95, 0.7, 0.55, 0.35, 0.25), strict=False) if rng.random() < p}
        if "dbl" in tags[i]:
            skills.add("moving_and_handling")
        w.skills = frozenset(skills)
    for skill, least in zip(SKILLS, (max(2, len(exp) - 1), max(2, len(exp) // 2), 4, 3, 2), strict=False):
        holders = [i for i in exp if skill in ws[i].skills]
        others = [i for i in exp if skill not in ws[i].skills]
        rng.shuffle(others)
        while len(holders) < min(least, len(exp)) and others:
            i = others.pop()
            ws[i].skills = ws[i].skills | {skill}
            holders.append(i)
    # commitments: weekly team meeting, one supervision, one training
    for d in range(days):
        if team.weekday[d] == 2:
            for w in ws:
                if w.periods[d]:
                    w.commits[d].append((d * DAY + 780, d * DAY + 870, "team meeting"))
    sup = [i for i in exp if "school" not in tags[i] and "E" in ws[i].line]
    if sup:
        supervisee = ws[sup[rng.randrange(len(sup))]]
        _commit_on_early(team, supervisee, (1, 3, 0, 4, 5, 6), 690, 750, "supervision")
    new = [w.idx for w in ws if w.new]
    trainee = new[0] if new else (exp[-1] if exp else -1)
    if trainee >= 0:
        _commit_on_early(team, ws[trainee], (3, 1, 4, 0), 600, 720, "moving and handling training")
    for w in ws:
        for c in w.commits:
            c.sort()
    # planting limits: keep room for a team role's minutes
    for w in ws:
        cap = min(MAX_WEEK_MINUTES, w.contract + w.overtime)
        w.cap_week = cap if w.new else max(0, cap - ROLE_SLACK)


def _commit_on_early(team: Team, w: Worker, weekdays: tuple[int, ...], a: int, b: int, what: str) -> None:
    """A commitment a..b (minutes of the day) on the first of ``weekdays`` whose shift holds it."""
    for wd in weekdays:
        for d in range(team.days):
            holds = any(p[0] <= d * DAY + a and d * DAY + b <= p[1] for p in w.periods[d])
            if team.weekday[d] == wd and holds:
                w.commits[d].append((d * DAY + a, d * DAY + b, what))
                return


def _roster(n: int, rng: random.Random) -> tuple[list[tuple[str, set[str]]], list[list[int]]]:
    """Rota lines with tags (school, late, new, dbl, maxday, dayoff, part) and buddy groups.

    The team is a double-up early trio and a double-up late trio (n >= 9), then pods of three,
    two pods sharing their lines so that buddies (the same line in the two pods) share their
    evenings. The rotation of each unit is chosen so every day has about as many early and late
    workers as any other."""
    # a unit: (lines with tags, buddy groups inside the unit, may rotate)
    units: list[tuple[list[tuple[str, set[str]]], list[list[int]], bool]] = []
    rest = n
    if n >= 9:
        early = [(MORNING_TRIO[0], {"school", "dbl"}), (MORNING_TRIO[1], {"late", "dbl"}), (MORNING_TRIO[2], {"new"})]
        late = [(EVENING_TRIO[0], {"dbl"}), (EVENING_TRIO[1], {"dbl"}), (EVENING_TRIO[2], {"new"})]
        units.append((early, [[0, 2]], False))
        units.append((late, [[0, 1]], True))
        rest = n - 6
    pods = rest // 3
    pod_units: list[list[tuple[str, set[str]]]] = []
    for _pod in range(0, pods - 1, 2):
        units.append(([(line, set()) for line in POD * 2], [[0, 3], [1, 4], [2, 5]], True))
        pod_units.append(units[-1][0])
    if pods % 2:
        units.append(([(line, set()) for line in POD], [], True))
        pod_units.append(units[-1][0])
    if pod_units and n >= 4:
        pod_units[0][1][1].add("maxday")
        last = pod_units[-1]
        last[len(last) - 3 if len(last) == 3 else 3][1].add("dayoff")
        last[-1] = (POD_PART_TIME_C, {"part"})
    if rest % 3:
        units.append(([(EXTRA_LINES[k % 2], set()) for k in range(rest % 3)], [], True))
    best: tuple[float, list[tuple[str, set[str]]], list[list[int]]] | None = None
    for combo in _rotations(units, rng):
        slots: list[tuple[str, set[str]]] = []
        groups: list[list[int]] = []
        for (lines, inner, _), r in zip(units, combo, strict=False):
            base = len(slots)
            slots += [(_rotate(line, r), set(tags)) for line, tags in lines]
            groups += [[base + i for i in g] for g in inner]
        groups += _buddies(slots, {i for g in groups for i in g})
        score = _roster_score(slots, groups)
        if best is None or score > best[0]:
            best = (score, slots, groups)
    assert best is not None
    return best[1], best[2]


ROTATION_TRIALS = 400
"""Rotations of the units tried for the most even roster."""


def _rotations(
    units: list[tuple[list[tuple[str, set[str]]], list[list[int]], bool]], rng: random.Random
) -> list[tuple[int, ...]]:
    """``ROTATION_TRIALS`` rotations (one per unit, 0-6 days; 0 for a unit that may not rotate),
    in random order. While every combination fits in memory comfortably they are drawn without
    repeats from all of them (as the generator always did, so small teams keep their rosters);
    beyond that each is drawn at random: the combinations grow as 7 to the number of units, and a
    team of 60 workers has 7^19 of them."""
    choices = [7 if rotates else 1 for _, _, rotates in units]
    total = math.prod(choices)
    if total <= ALL_ROTATIONS_MAX:
        combos = list(itertools.product(*(range(c) for c in choices)))
        rng.shuffle(combos)
        return combos[:ROTATION_TRIALS]
    return [tuple(rng.randrange(c) for c in choices) for _ in range(ROTATION_TRIALS)]


ALL_ROTATIONS_MAX = 7**6
"""Up to this many combinations (six rotating units: 21-27 workers) all are listed and shuffled."""


def _buddies(slots: list[tuple[str, set[str]]], taken: set[int]) -> list[list[int]]:
    """Buddy pairs (a triad if odd) among workers not yet ``taken``: new starters with experienced
    workers, then lines sharing the most evenings."""
    free = [i for i in range(len(slots)) if i not in taken]
    groups: list[list[int]] = []
    for i in [i for i in free if "new" in slots[i][1]]:
        mates = [j for j in free if "new" not in slots[j][1] and j != i]
        if not mates:
            continue
        j = max(mates, key=lambda j: (_similar(slots[i][0], slots[j][0]), -j))
        groups.append([j, i])
        free.remove(i)
        free.remove(j)
    free.sort(key=lambda i: (-sum(c in "LS" for c in slots[i][0]), i))
    while len(free) >= 2:
        i = free.pop(0)
        j = max(free, key=lambda j: (_similar(slots[i][0], slots[j][0]), -j))
        free.remove(j)
        groups.append([i, j])
    if free and groups:
        i = free.pop()
        max(groups, key=lambda g: _similar(slots[i][0], slots[g[0]][0])).append(i)
    elif free and taken:
        mate = max(taken, key=lambda j: (_similar(slots[free[0]][0], slots[j][0]), -j))
        groups.append([mate, free[0]])
    return groups


def _roster_score(slots: list[tuple[str, set[str]]], groups: list[list[int]]) -> float:
    """Higher when every day has many experienced early and late workers and buddies share
    evenings."""
    early = [0.0] * 7
    late = [0.0] * 7
    for line, tags in slots:
        if "new" in tags:
            continue
        for d, c in enumerate(line):
            early[d] += 1.0 if c in "ES" else 0.6 if c == "e" else 0.0
            late[d] += c in "LS"
    shared = 0
    for g in groups:
        for i in g:
            if "new" in slots[i][1]:
                continue
            for d, c in enumerate(slots[i][0]):
                if c in "LS":
                    shared += 1 if any(slots[j][0][d] in "LS" for j in g if j != i) else -1
    spread = 2 * (max(early) - min(early)) + (max(late) - min(late))
    return 10 * min(early) + 6 * min(late) - spread + 3 * shared


def _similar(a: str, b: str) -> int:
    """Days two lines share an evening, then days with the same shift."""
    return 10 * sum(x in "LS" and y in "LS" for x, y in zip(a, b, strict=False)) + sum(
        x == y for x, y in zip(a, b, strict=False)
    )


def _rotate(line: str, k: int) -> str:
    """A rota line started k days later."""
    k %= len(line)
    return line[k:] + line[:k]
