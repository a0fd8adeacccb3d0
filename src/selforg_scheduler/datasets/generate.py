"""Deterministic generator of realistic home-care weeks, each with a planted rota covering every visit.

``generate_instance`` builds a contract instance (``formats.md``) for a Wellbeing Team around Exeter
(or an organisation of several Devon teams) and a contract *solution* dict, ``plan``, that covers
every visit while keeping every hard rule of ``domain.md`` (with some slack: at most 3 distinct
workers per client, at most 540 working minutes a day, room for team-role minutes in the week).

How: rota lines (early / late / split shifts; a late is never followed by an early) give each
worker's availability; the team is a double-up early trio, a double-up late trio and pods of three
whose lines cover every day. Clients with care plans are then generated one at a time (people with
daily calls first); each gets a circle of up to 3 workers with room for its calls, and its
candidate visits are planted into the workers' routes by cheapest feasible insertion. A candidate
visit that cannot be planted is left out of the instance; a client that loses too many is dropped.
Clients are added until the number of visits is near the target. Only ``random.Random(seed)`` is
used: same arguments, same instance and plan.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from collections.abc import Iterator
from typing import Any, NamedTuple

from selforg_scheduler.core.travel import haversine_minutes

log = logging.getLogger(__name__)

__all__ = ["GeneratedInstance", "generate_instance"]

# --- the rules the planted rota keeps (at or inside the project's defaults) -------------------
DAY = 1440
MAX_DAY_MINUTES = 540  # the project's default is 600
MAX_WEEK_MINUTES = 2880
REST_MINUTES = 660
BREAK_AFTER = 360
BREAK_MINUTES = 20
BREAK_WINDOW = (11 * 60, 15 * 60)
LONE_LATEST_END = 22 * 60
BUDDY_CHECK_AFTER = 20 * 60
MAX_CLIENT_WORKERS = 3  # the project's cap is 4
RETIME_TRIES = 1  # other times of day tried for a person the team cannot fit
ACCEPT_SHARE = 0.75  # a client is taken on if this share of its candidate visits can be planted
LAST_ACCEPT_SHARE = 0.5  # ... once the rota is nearly full
ROLE_SLACK = 180  # weekly minutes kept free for a team role
# Above this many visits a worker-week (a team carries about 40 with the usual calls), care
# plans use brisk calls: durations x BRISK_SHARE, at least 15 minutes, so a dense week fits.
BRISK_LOAD = 42
BRISK_SHARE = 0.7

SPEED_KMH = 30.0
DETOUR_FACTOR = 1.3
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

EXETER = ("Exeter North", 50.7184, -3.5339)
TOWNS = (
    ("Exmouth", 50.6198, -3.4137),
    ("Newton Abbot", 50.5290, -3.6080),
    ("Tiverton", 50.9027, -3.4911),
    ("Barnstaple", 51.0800, -4.0580),
    ("Torquay", 50.4619, -3.5253),
    ("Crediton", 50.7914, -3.6554),
    ("Honiton", 50.7999, -3.1887),
    ("Okehampton", 50.7390, -4.0040),
    ("Tavistock", 50.5500, -4.1440),
    ("Plymouth", 50.3755, -4.1427),
    ("Paignton", 50.4353, -3.5650),
    ("Totnes", 50.4318, -3.6845),
    ("Bideford", 51.0166, -4.2067),
    ("Sidmouth", 50.6800, -3.2390),
    ("Teignmouth", 50.5470, -3.4960),
    ("Cullompton", 50.8560, -3.3930),
    ("Ivybridge", 50.3896, -3.9211),
    ("Kingsbridge", 50.2830, -3.7770),
    ("Dawlish", 50.5810, -3.4660),
)

FIRST_NAMES = (
    "Asha", "Ben", "Chloe", "Dan", "Ellie", "Femi", "Grace", "Harry", "Isla", "Jack", "Kasia",
    "Liam", "Maya", "Noah", "Olivia", "Priya", "Rhys", "Sophie", "Tom", "Una", "Vikram", "Wendy",
    "Yusuf", "Zoe", "Amir", "Bethany", "Callum", "Demi", "Ewan", "Freya", "Gemma", "Hannah",
    "Imran", "Jade", "Kieran", "Lucy", "Megan", "Nathan", "Orla", "Paige", "Rosie", "Sam",
    "Tasha", "Will", "Agnieszka", "Blessing", "Carys", "Darius", "Esther", "Joel",
)  # fmt: skip
SURNAMES = (
    "Ashworth", "Brimblecombe", "Chudleigh", "Davey", "Endacott", "Friend", "Gill", "Hext",
    "Isaac", "Jago", "Kingdon", "Luscombe", "Mudge", "Northcott", "Oxenham", "Pengelly",
    "Quick", "Rowe", "Squire", "Tucker", "Underhill", "Vosper", "Westcott", "Yeo", "Hooper",
    "Ellacott", "Stoneman", "Snell", "Heard", "Passmore", "Cole", "Harvey", "Mills", "Lang",
    "Bolt", "Gooding", "Skinner", "Pidgeon", "Coombe", "Widdicombe", "Tremlett", "Sanders",
)  # fmt: skip
INITIALS = "ABCDEFGHIJKLMNPRSTVW"

ROLES = (
    ("meeting_facilitator", "Meeting facilitator", 90),
    ("scheduler", "Scheduler", 180),
    ("storyteller", "Storyteller", 60),
    ("reporter_recorder", "Reporter/recorder", 90),
    ("recruitment_coordinator", "Recruitment co-ordinator", 120),
)

# Care-plan calls: (earliest_start choices, latest latest_start, duration choices).
CALLS: dict[str, tuple[tuple[int, ...], int, tuple[int, ...]]] = {
    "morning": (
        (420, 435, 450, 465, 480, 495, 510, 525, 540, 555, 570),
        630,
        (30, 30, 30, 35, 40, 45, 45, 60),
    ),
    "domestic_am": ((615, 630, 645, 660), 720, (45, 45, 60)),  # shopping, cleaning, shower
    "lunch": ((720, 720, 735, 750, 765), 810, (15, 20, 30, 30, 30)),
    "afternoon": ((840, 855, 870, 900, 930), 960, (15, 20, 30, 30)),  # medication, welfare
    "domestic_pm": ((840, 855, 870, 885, 900), 960, (45, 45, 60)),  # sitting service, outings
    "tea": ((990, 1005, 1020, 1035, 1050), 1080, (15, 20, 30, 30, 30)),
    "bed": ((1170, 1185, 1200, 1215, 1230, 1260), 1290, (20, 30, 30, 30)),
}
DOUBLE_UP_MORNING = (540, 555, 570)  # hoist calls: the double-up early pair is on from 09:15
# Client archetypes: (weight, call sets to choose from, every day?).
ARCHETYPES: tuple[tuple[float, tuple[tuple[str, ...], ...], bool], ...] = (
    (0.10, (("morning", "lunch", "tea", "bed"),), True),
    (0.17, (("morning", "lunch", "bed"), ("morning", "tea", "bed"), ("morning", "lunch", "tea")), True),
    (0.35, (("morning", "bed"), ("morning", "tea"), ("morning", "lunch"), ("lunch", "tea"),
            ("tea", "bed"), ("morning", "afternoon")), True),
    (0.18, (("morning",), ("morning",), ("lunch",), ("tea",), ("bed",), ("afternoon",)), True),
    (0.20, (("domestic_am",), ("domestic_pm",), ("morning",)), False),
)
HOIST_PLANS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("morning", 2), ("lunch", 1)),
    (("tea", 1), ("bed", 2)),
    (("morning", 2),),
    (("bed", 2),),
)


@dataclass(frozen=True)
class GeneratedInstance:
    """A contract instance and a planted rota (a contract solution dict) covering all its visits."""

    instance: dict[str, Any]
    plan: dict[str, Any]


def generate_instance(
    workers: int = 12,
    visits: int = 450,
    days: int = 7,
    seed: int = 1,
    start: date = date(2026, 11, 30),
    teams: int = 1,
) -> GeneratedInstance:
    """Generate a week (``days`` long) for ``teams`` teams sharing ``workers`` workers and about
    ``visits`` visits (within 5 % where the workers can carry them), with a planted rota."""
    if teams < 1 or workers < teams:
        raise ValueError("need at least one worker per team")
    if not 1 <= days <= 28:
        raise ValueError("days must be 1..28")
    if visits < 0:
        raise ValueError("visits must be >= 0")
    rng = random.Random(seed)
    sizes = _split(workers, [1] * teams)
    targets = _split(visits, sizes)
    names = _Names(rng)
    towns = [EXETER, *rng.sample(TOWNS, min(teams - 1, len(TOWNS)))]
    while len(towns) < teams:  # more teams than towns: reuse towns with a suffix
        base = TOWNS[len(towns) % len(TOWNS)]
        towns.append((f"{base[0]} {len(towns) // len(TOWNS) + 1}", base[1], base[2]))
    org = teams > 1
    parts: list[_TeamResult] = []
    for k in range(teams):
        prefix = f"t{k + 1:02d}-" if org else ""
        team_rng = random.Random(rng.getrandbits(64))
        builder = _TeamBuilder(team_rng, prefix, towns[k], sizes[k], targets[k], start, days, names)
        parts.append(builder.build())
    if org:
        team = {"id": "devon-wellbeing", "name": f"Devon Wellbeing Teams ({teams} teams)"}
    else:
        team = {"id": "exeter-north", "name": "Exeter North"}
    instance: dict[str, Any] = {
        "schema_version": 1,
        "team": {**team, "timezone": "Europe/London"},
        "horizon": {"start": start.isoformat(), "days": days},
        "travel": {
            "method": "haversine",
            "speed_kmh": SPEED_KMH,
            "detour_factor": DETOUR_FACTOR,
            "count_home_legs": False,
        },
    }
    for key in (
        "locations", "workers", "clients", "visits", "dependencies", "buddies", "roles",
        "role_history",
    ):  # fmt: skip
        instance[key] = [item for part in parts for item in getattr(part, key)]
    plan: dict[str, Any] = {
        "schema_version": 1,
        "instance": {"team": team["id"], "sha256": ""},
        "status": "FEASIBLE",
        "objective": 0,
        "bound": 0,
        "gap": 0.0,
        "wall_s": 0.0,
        "visits": [item for part in parts for item in part.plan_visits],
        "unassigned": [],
        "breaks": [item for part in parts for item in part.breaks],
        "roles": [],
        "penalties": {},
        "kpis": {},
    }
    plan["roles"] = plant_roles(instance, plan)
    if not org:
        _people_matters(instance, start)
    # The plan names the instance it belongs to, so validate warns if they are mixed up, and
    # states its cost under the default rules (what validate recomputes).
    from selforg_scheduler.contract.io import instance_from_dict, instance_sha256
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.rules.validator import validate

    parsed = instance_from_dict(instance)
    plan["instance"]["sha256"] = instance_sha256(parsed)
    report = validate(parsed, Solution.model_validate(plan))
    plan["objective"] = report.objective
    plan["penalties"] = dict(report.penalties)
    plan["kpis"] = dict(report.kpis)
    return GeneratedInstance(instance=instance, plan=plan)


def _people_matters(instance: dict[str, Any], start: date) -> None:
    """Buddy wishes, past buddy groups and a holiday for a single team, fixed rather than drawn
    (so the rest of the week does not change): they matter to ``pair-buddies`` and
    ``rotate-roles``, not to the week's rota."""
    workers = instance["workers"]
    if len(workers) < 8:
        return
    grouped = {m: tuple(g) for g in instance["buddies"] for m in g}
    ids = [w["id"] for w in workers]
    experienced = [w["id"] for w in workers if not w.get("new_starter")]
    a, b, c, d = experienced[1], experienced[-1], experienced[2], experienced[-2]
    workers[ids.index(a)]["buddy_preferences"] = [b] if b not in grouped.get(a, ()) else []
    workers[ids.index(c)]["buddy_avoid"] = [d] if d not in grouped.get(c, ()) else []
    instance["buddy_history"] = [
        {"members": [experienced[0], experienced[5]], "until": (start - timedelta(days=182)).isoformat()},
        {"members": [experienced[1], experienced[4]], "until": (start - timedelta(days=91)).isoformat()},
    ]
    away = workers[ids.index(experienced[3])]
    away["leave"] = [
        {"start": (start + timedelta(days=14)).isoformat(), "end": (start + timedelta(days=20)).isoformat(), "what": "holiday"}
    ]


def plant_roles(instance: dict[str, Any], plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Role holders for the planted rota: every role place the team can fill, each given to an
    eligible worker whose week has room for the role's minutes (a maximum bipartite matching on
    the pairs that fit; the most room first, so the choice is deterministic)."""
    import networkx as nx

    from selforg_scheduler.contract.io import instance_from_dict
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.core.rota import rota_from_solution
    from selforg_scheduler.rules.config import default_rules
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.core.workday import role_load, week_minutes

    problem = compile_problem(instance_from_dict(instance))
    rules = default_rules()
    rota = rota_from_solution(problem, Solution.model_validate(plan))
    weekly, roles_rule = rules["weekly_limit"], rules["roles"]
    room = {w: weekly.cap(problem, w) - week_minutes(rota, w) for w in range(len(problem.workers))}  # type: ignore[attr-defined]
    # Integer node labels: their hashes are fixed, so the matching is the same in every process.
    places = [(r, k) for r, rd in enumerate(problem.roles) for k in range(rd.holders)]
    first_worker = len(places)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(places)))
    for r, w in sorted(roles_rule.eligible_pairs(problem), key=lambda pair: (-room[pair[1]], pair)):  # type: ignore[attr-defined]
        if role_load(problem, r, 0) <= room[w]:
            graph.add_edges_from((i, first_worker + w) for i, (rr, _k) in enumerate(places) if rr == r)
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=range(len(places)))
    start = problem.origin.date().isoformat()
    return [
        {"week_start": start, "role": problem.roles[r].id, "worker": problem.workers[matching[i] - first_worker].id}
        for i, (r, _k) in enumerate(places)
        if i in matching
    ]


# --- helpers ---------------------------------------------------------------------------------


def _first_free(lo: int, hi: int, busy: list[tuple[int, int]], need: int = BREAK_MINUTES) -> int | None:
    """Start of the first ``need`` free minutes in [lo, hi] around ``busy`` (sorted by start)."""
    cur = lo
    for bs, be in busy:
        if be <= cur or bs >= hi:
            continue
        if bs - cur >= need:
            return cur
        cur = max(cur, be)
    return cur if hi - cur >= need else None


def _split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainders)."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """The point ``north_km``, ``east_km`` away, rounded to 5 decimals (about a metre)."""
    dlat = north_km / 111.195
    dlon = east_km / (111.195 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate km between two nearby points."""
    north = (a[0] - b[0]) * 111.195
    east = (a[1] - b[1]) * 111.195 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


class _Names:
    """Unique people's names, drawn from one generator for the whole organisation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def worker(self) -> str:
        """A new worker's name."""
        for _ in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"Worker {len(self.used) + 1}"
        self.used.add(name)
        return name

    def client(self, title: str | None = None, surname: str | None = None) -> str:
        """A new client's name (Mrs A. Smith)."""
        for _ in range(1000):
            t = title or self.rng.choice(("Mrs", "Mrs", "Mr", "Mr", "Ms", "Miss"))
            name = f"{t} {self.rng.choice(INITIALS)}. {surname or self.rng.choice(SURNAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"Client {len(self.used) + 1}"
        self.used.add(name)
        return name


class _Stop(NamedTuple):
    start: int
    end: int
    visit: int
    loc: int
    period: int


class _Worker:
    """A worker's data and planting state (minutes from the horizon start)."""

    def __init__(self, idx: int, wid: str, days: int) -> None:
        self.idx = idx
        self.id = wid
        self.name = ""
        self.new = False
        self.skills: frozenset[str] = frozenset()
        self.contract = 2250
        self.overtime = 0
        self.line = "OOOOOOO"
        self.periods: list[list[tuple[int, int]]] = [[] for _ in range(days)]
        self.commits: list[list[tuple[int, int, str]]] = [[] for _ in range(days)]
        self.routes: list[list[_Stop]] = [[] for _ in range(days)]
        self.day_work = [0] * days
        self.week_work = 0
        self.cap_week = 0
        self.max_day = MAX_DAY_MINUTES
        self.earliest = [0] * days
        self.latest = [DAY] * days
        self.avoid: set[int] = set()
        self.buddies: list[int] = []
        self.flex: list[dict[str, Any]] = []
        self.home = (0.0, 0.0)
        self.served = 0
        self.lat_sum = 0.0
        self.lon_sum = 0.0


@dataclass
class _Visit:
    client: int
    loc: int
    day: int
    e: int
    l: int  # noqa: E741 - latest start
    dur: int
    req: int
    skills: frozenset[str]
    call: str
    fallback_single: bool = False
    start: int = -1
    workers: tuple[int, ...] = ()


@dataclass
class _Client:
    name: str
    loc: int
    two_workers: bool
    visits: list[int] = field(default_factory=list)
    circle: list[int] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)


# A care-plan call: (call, earliest, latest start (minutes of the day), duration, workers, skills, days)
_Call = tuple[str, int, int, int, int, frozenset[str], list[int]]


@dataclass
class _Spec:
    """A client's care plan before planting."""

    name: str
    point: tuple[float, float]
    two_workers: bool
    calls: list[_Call]


@dataclass
class _TeamResult:
    locations: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    buddies: list[list[str]]
    roles: list[dict[str, Any]]
    role_history: list[dict[str, Any]]
    plan_visits: list[dict[str, Any]]
    breaks: list[dict[str, Any]]


class _TeamBuilder:
    """Builds one team: workers and their week, then clients planted one by one."""

    def __init__(
        self,
        rng: random.Random,
        prefix: str,
        town: tuple[str, float, float],
        n_workers: int,
        target: int,
        start: date,
        days: int,
        names: _Names,
    ) -> None:
        self.rng = rng
        self.prefix = prefix
        self.town = town
        self.centre = (town[1], town[2])
        self.n = n_workers
        self.target = target
        self.start = start
        self.days = days
        self.names = names
        self.h0 = datetime.combine(start, time())
        self.weekday = [(start.weekday() + d) % 7 for d in range(days)]
        self.workers: list[_Worker] = []
        self.groups: list[list[int]] = []  # buddy groups, worker indices
        self.points: list[tuple[float, float]] = []  # client locations, by loc index
        self.tt: list[list[int]] = []
        self.visits: list[_Visit] = []
        self.clients: list[_Client] = []
        self.deps: list[tuple[int, int, int, int]] = []
        self.hoods: list[tuple[float, float]] = []
        self.pressure: dict[str, float] = {}  # recent share of failed candidate visits per call
        self.accept_share = ACCEPT_SHARE
        self.brisk = target > BRISK_LOAD * n_workers
        # in an organisation, workers, clients and roles name their team (t01, t02, ...)
        self.team_field = {"team": prefix.rstrip("-")} if prefix else {}

    # --- times ---------------------------------------------------------------------------------
    def iso(self, minutes: int) -> str:
        """Minutes from the horizon start as an ISO local time."""
        return (self.h0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")

    # --- workers -------------------------------------------------------------------------------
    def make_workers(self) -> None:
        """Workers: rota lines, buddies, contracts, flexible working, skills, commitments."""
        rng, n, days = self.rng, self.n, self.days
        width = max(2, len(str(n)))
        ws = [_Worker(i, f"{self.prefix}w{i + 1:0{width}d}", days) for i in range(n)]
        self.workers = ws
        for w in ws:
            w.name = self.names.worker()
            w.home = _offset(*self.centre, *self._disc(6.0))
        slots, groups = _roster(n, rng)
        perm = list(range(n))
        rng.shuffle(perm)  # roster slot k is worker perm[k]
        tags: list[set[str]] = [set() for _ in range(n)]
        for k, (line, tag) in enumerate(slots):
            ws[perm[k]].line = line
            tags[perm[k]] = tag
        self.groups = [sorted(perm[k] for k in g) for g in groups]
        for g in self.groups:
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
                for a, b in SHIFTS[w.line[self.weekday[d]]]:
                    w.periods[d].append((d * DAY + a, d * DAY + b))
            if "school" in t:
                for d in range(days):
                    if self.weekday[d] < 5:
                        w.earliest[d] = 9 * 60 + 15
                        # Available from 07:00 (they can cover then in a pinch), but the school
                        # run is agreed: the agreement, not the availability, keeps them to 09:15.
                        w.periods[d] = [(d * DAY + 7 * 60, b) for _, b in w.periods[d]]
            if "part" in t:
                # A compressed part-time week: an agreed weekday off inside their rota line.
                weekdays_on = [d for d in range(days) if w.periods[d] and self.weekday[d] < 5]
                if weekdays_on:
                    d = weekdays_on[len(weekdays_on) // 2]
                    w.avoid.add(d)
                    w.flex.append(
                        {"kind": "day_off", "days": [WEEKDAYS[self.weekday[d]]], "strength": "agreed"}
                    )
            if "dayoff" in t:
                working = [d for d in range(days) if w.periods[d]]
                weekend = [d for d in working if self.weekday[d] >= 5]
                if working:
                    d = (weekend or working)[0]
                    w.avoid.add(d)
                    day_off = (self.start + timedelta(days=d)).isoformat()
                    w.flex.append({"kind": "day_off", "date": day_off, "strength": "wish"})
        # skills: most have medication; double-up workers and new starters moving and handling
        exp = [w.idx for w in ws if not w.new]
        for i, w in enumerate(ws):
            if w.new:
                skills = {"moving_and_handling"} | ({"medication"} if rng.random() < 0.5 else set())
            else:
                skills = {s for s, p in zip(SKILLS, (0.95, 0.7, 0.55, 0.35, 0.25)) if rng.random() < p}
            if "dbl" in tags[i]:
                skills.add("moving_and_handling")
            w.skills = frozenset(skills)
        for skill, least in zip(SKILLS, (max(2, len(exp) - 1), max(2, len(exp) // 2), 4, 3, 2)):
            holders = [i for i in exp if skill in ws[i].skills]
            others = [i for i in exp if skill not in ws[i].skills]
            rng.shuffle(others)
            while len(holders) < min(least, len(exp)) and others:
                i = others.pop()
                ws[i].skills = ws[i].skills | {skill}
                holders.append(i)
        # commitments: weekly team meeting, one supervision, one training
        for d in range(days):
            if self.weekday[d] == 2:
                for w in ws:
                    if w.periods[d]:
                        w.commits[d].append((d * DAY + 780, d * DAY + 870, "team meeting"))
        sup = [i for i in exp if "school" not in tags[i] and "E" in ws[i].line]
        if sup:
            supervisee = ws[sup[rng.randrange(len(sup))]]
            self._commit_on_early(supervisee, (1, 3, 0, 4, 5, 6), 690, 750, "supervision")
        new = [w.idx for w in ws if w.new]
        trainee = new[0] if new else (exp[-1] if exp else -1)
        if trainee >= 0:
            self._commit_on_early(ws[trainee], (3, 1, 4, 0), 600, 720, "moving and handling training")
        for w in ws:
            for c in w.commits:
                c.sort()
        # planting limits: keep room for a team role's minutes
        for w in ws:
            cap = min(MAX_WEEK_MINUTES, w.contract + w.overtime)
            w.cap_week = cap if w.new else max(0, cap - ROLE_SLACK)

    def _commit_on_early(self, w: _Worker, weekdays: tuple[int, ...], a: int, b: int, what: str) -> None:
        """A commitment a..b (minutes of the day) on the first of ``weekdays`` whose shift holds it."""
        for wd in weekdays:
            for d in range(self.days):
                holds = any(p[0] <= d * DAY + a and d * DAY + b <= p[1] for p in w.periods[d])
                if self.weekday[d] == wd and holds:
                    w.commits[d].append((d * DAY + a, d * DAY + b, what))
                    return

    def _disc(self, radius: float) -> tuple[float, float]:
        """A random (north, east) km offset, uniform in a disc."""
        r = radius * math.sqrt(self.rng.random())
        a = self.rng.random() * 2 * math.pi
        return r * math.cos(a), r * math.sin(a)

    # --- clients -------------------------------------------------------------------------------
    def client_point(self) -> tuple[float, float]:
        """A client's home: in one of a few neighbourhoods, within 5 km of the centre, distinct."""
        if not self.hoods:
            for _ in range(7):
                self.hoods.append(self._disc(3.6))
        for _ in range(100):
            hx, hy = self.rng.choice(self.hoods)
            x, y = hx + self.rng.gauss(0, 0.55), hy + self.rng.gauss(0, 0.55)
            if math.hypot(x, y) <= 4.9:
                p = _offset(*self.centre, x, y)
                if all(_km(p, q) > 0.03 for q in self.points):
                    return p
        return _offset(*self.centre, *self._disc(4.9))

    def _call(self, call: str, req: int, needs: set[str], call_days: list[int]) -> _Call:
        """One call of a care plan, its skills drawn from the person's needs."""
        rng = self.rng
        e, l_ = self._window(call, req)
        dur = rng.choice(CALLS[call][2])
        if self.brisk:
            dur = max(15, round(dur * BRISK_SHARE / 5) * 5)
        if req == 2:
            dur = max(dur, 30)
        if call == "bed":
            dur = min(dur, LONE_LATEST_END - l_)
        skills: set[str] = set()
        meal_meds = call in ("lunch", "tea") and rng.random() < 0.5
        if "medication" in needs and (call in ("morning", "afternoon", "bed") or meal_meds):
            skills.add("medication")
        if "dementia_care" in needs and rng.random() < 0.7:
            skills.add("dementia_care")
        if "catheter_care" in needs and call in ("morning", "bed"):
            skills.add("catheter_care")
        if "peg_feeding" in needs and call in ("morning", "lunch", "tea"):
            skills.add("peg_feeding")
        if req == 2:
            skills.add("moving_and_handling")
            if rng.random() < 0.7:
                skills.discard("medication")
        return (call, e, l_, dur, req, frozenset(skills), call_days)

    def _window(self, call: str, req: int) -> tuple[int, int]:
        """A call's (earliest, latest) start, minutes of the day; 30-60 minutes wide."""
        starts, last, _ = CALLS[call]
        if req == 2 and call == "morning":
            starts = DOUBLE_UP_MORNING
        e = self.rng.choice(starts)
        width = self.rng.choice((45, 60, 60) if call == "morning" else (30, 30, 45, 60))
        return e, max(e + 30, min(e + width, last))

    def retime(self, spec: _Spec) -> _Spec:
        """The same care plan at other times of day (the team agrees times with the person)."""
        calls = []
        for call, _, _, dur, req, skills, call_days in spec.calls:
            e, l_ = self._window(call, req)
            calls.append((call, e, l_, dur, req, skills, call_days))
        return _Spec(spec.name, spec.point, spec.two_workers, calls)

    def make_spec(
        self, kind: str, max_visits: int | None = None, daily_only: bool = False
    ) -> list[_Spec]:
        """One client's care plan (two for a household); ``kind`` is regular, four or three (calls
        a day), two (two_workers), hoist (some double-up calls), couple or pair (households with
        linked visits)."""
        rng = self.rng
        alldays = list(range(self.days))
        for attempt in range(200):
            needs = set()
            if rng.random() < 0.75:
                needs.add("medication")
            if rng.random() < 0.25:
                needs.add("dementia_care")
            if rng.random() < 0.08:
                needs.add("catheter_care")
            if rng.random() < 0.04:
                needs.add("peg_feeding")
            if kind == "two":
                calls = rng.choice((("morning", "lunch"), ("tea", "bed")))
                spec = _Spec(self.names.client(), self.client_point(), True, [
                    self._call(c, 2, needs, alldays) for c in calls
                ])  # fmt: skip
                return [spec]
            if kind == "hoist":
                hoist = rng.choice(HOIST_PLANS)
                return [_Spec(self.names.client(), self.client_point(), False, [
                    self._call(c, req, needs, alldays) for c, req in hoist
                ])]  # fmt: skip
            if kind in ("couple", "pair"):
                surname = rng.choice(SURNAMES)
                p = self.client_point()
                if kind == "couple":
                    first = _Spec(self.names.client("Mr", surname), p, False, [])
                    second = _Spec(self.names.client("Mrs", surname), p, False, [])
                    shared = self._call("morning", 1, needs, alldays)
                    first.calls = [shared, self._call("bed", 1, needs, alldays)]
                    call, e, l_, _, _, skills, _ = shared
                    second.calls = [(call, e, l_, rng.choice((20, 30)), 1, skills, alldays)]
                else:
                    q = _offset(p[0], p[1], 0.03, 0.02)
                    first = _Spec(self.names.client("Miss", surname), p, False, [])
                    second = _Spec(self.names.client("Miss", surname), q, False, [])
                    wkdays = [d for d in alldays if self.weekday[d] in (0, 2, 4)]
                    lunch = self._call("lunch", 1, needs, alldays)
                    first.calls = [self._call("morning", 1, needs, alldays), lunch]
                    second.calls = [(lunch[0], lunch[1], lunch[2], lunch[3], 1, frozenset(), wkdays)]
                return [first, second]
            if kind in ("four", "three"):  # the heaviest care plans, planted while there is room
                _, choices, daily = ARCHETYPES[0 if kind == "four" else 1]
            else:
                weights = [a[0] if a[2] or not daily_only else 0.0 for a in ARCHETYPES]
                _, choices, daily = rng.choices(ARCHETYPES, weights=weights)[0]
            calls = rng.choice(choices)
            if daily:
                call_days = alldays
            else:
                k = rng.choice((2, 3, 3, 4, 5))
                wds = set(rng.sample(range(7), k))
                call_days = [d for d in alldays if self.weekday[d] in wds]
            if not call_days or (max_visits is not None and len(calls) * len(call_days) > max_visits):
                continue
            # the team takes on people whose calls fall where it still has room
            pressure = max(self.pressure.get(c, 0.0) for c in calls)
            if kind == "regular" and attempt < 60 and rng.random() < pressure:
                continue
            spec_calls = [self._call(c, 1, needs, call_days) for c in calls]
            return [_Spec(self.names.client(), self.client_point(), False, spec_calls)]
        return []

    # --- what a worker may do, ignoring their route -------------------------------------------
    def period_of(self, w: _Worker, d: int, s: int, end: int) -> int:
        """Index of w's availability period on day d holding [s, end]."""
        return next(i for i, (a, b) in enumerate(w.periods[d]) if a <= s and end <= b)

    def buddy_on(self, w: _Worker, d: int, at: int) -> bool:
        """Whether a buddy of w is available at ``at`` on day d."""
        return any(a <= at <= b for j in w.buddies for a, b in self.workers[j].periods[d])

    def eligible(self, w: _Worker, v: _Visit, req: int, skills: bool = True) -> bool:
        """Skills (optionally) and the new-starter rule."""
        return (not skills or v.skills <= w.skills) and not (req == 1 and w.new)

    def candidates(self, w: _Worker, v: _Visit, req: int, lo: int, hi: int) -> Iterator[tuple[int, int]]:
        """(start, availability period) pairs where w may do v with req workers, the start in
        [lo, hi] and the visit's window: every 5 minutes plus starts fitting tight to the route."""
        d = v.day
        base = d * DAY
        if d in w.avoid or (req == 1 and w.new):
            return
        lo = max(lo, v.e, base + w.earliest[d])
        hi = min(hi, v.l, base + w.latest[d] - v.dur)
        if req == 1:
            hi = min(hi, base + LONE_LATEST_END - v.dur)
        for pidx, (a, b) in enumerate(w.periods[d]):
            s0, s1 = max(lo, a), min(hi, b - v.dur)
            if s0 > s1:
                continue
            starts = set(range(s0 + (-s0) % 5, s1 + 1, 5))
            starts.add(s0)
            starts.add(s1)
            for stop in w.routes[d]:
                x = stop.end + self.tt[stop.loc][v.loc]
                if s0 <= x <= s1:
                    starts.add(x)
                y = stop.start - self.tt[v.loc][stop.loc] - v.dur
                if s0 <= y <= s1:
                    starts.add(y)
            for s in sorted(starts):
                end = s + v.dur
                if any(s < ce and cs < end for cs, ce, _ in w.commits[d]):
                    continue
                if req == 1 and end - base > BUDDY_CHECK_AFTER and not self.buddy_on(w, d, end):
                    continue
                yield s, pidx

    # --- dynamic checks ------------------------------------------------------------------------
    def busy(self, w: _Worker, d: int, a: int, b: int) -> bool:
        """Whether [a, b] overlaps one of w's commitments on day d."""
        return any(a < ce and cs < b for cs, ce, _ in w.commits[d])

    def insertion(self, w: _Worker, v: _Visit, s: int, pidx: int) -> tuple[int, int] | None:
        """(position, added working minutes) if v fits into w's day at s under every rule."""
        d = v.day
        route = w.routes[d]
        tt = self.tt
        end = s + v.dur
        pos = 0
        while pos < len(route) and route[pos].start < s:
            pos += 1
        prev = route[pos - 1] if pos else None
        nxt = route[pos] if pos < len(route) else None
        pa = w.periods[d][pidx][0]
        tp = tn = 0
        if prev is not None:
            tp = tt[prev.loc][v.loc]
            if s < prev.end + tp or s - tp < pa or (tp and self.busy(w, d, s - tp, s)):
                return None
        if nxt is not None:
            tn = tt[v.loc][nxt.loc]
            if nxt.start < end + tn or nxt.start - tn < w.periods[d][nxt.period][0]:
                return None
            if tn and self.busy(w, d, nxt.start - tn, nxt.start):
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
        for dd in range(d + 1, self.days):
            if w.routes[dd]:
                if w.routes[dd][0].start - last < REST_MINUTES:
                    return None
                break
        new_route = route[:pos] + [_Stop(s, end, -1, v.loc, pidx)] + route[pos:]
        if work > BREAK_AFTER:
            if self.break_slot(w, d, new_route) is None:
                return None
        elif not self.break_room(w, d, new_route):
            return None
        return pos, delta

    def break_slot(self, w: _Worker, d: int, route: list[_Stop]) -> int | None:
        """Start of a 20-minute break between two consecutive visits, in 11:00-15:00, clear of
        travel and commitments; None if there is none."""
        w0, w1 = d * DAY + BREAK_WINDOW[0], d * DAY + BREAK_WINDOW[1]
        for p, q in zip(route, route[1:]):
            lo = max(p.end, w0)
            hi = min(q.start - self.tt[p.loc][q.loc], w1)
            if hi - lo < BREAK_MINUTES:
                continue
            found = _first_free(lo, hi, [(cs, ce) for cs, ce, _ in w.commits[d]])
            if found is not None:
                return found
        return None

    def break_room(self, w: _Worker, d: int, route: list[_Stop]) -> bool:
        """Whether an early shift, which may still grow past 6 hours, keeps 20 free minutes in
        11:00-15:00 (inside availability, clear of visits, travel and commitments) for its break."""
        w0, w1 = d * DAY + BREAK_WINDOW[0], d * DAY + BREAK_WINDOW[1]
        spans = [(max(a, w0), min(b, w1)) for a, b in w.periods[d] if min(b, w1) - max(a, w0) >= 120]
        if not spans:
            return True  # a split shift's gap holds the break; a late shift rarely runs past 6 h
        busy = [(cs, ce) for cs, ce, _ in w.commits[d]]
        prev = None
        for stop in route:
            travel = self.tt[prev.loc][stop.loc] if prev is not None else 0
            busy.append((stop.start - travel, stop.end))
            prev = stop
        busy.sort()
        return any(_first_free(lo, hi, busy) is not None for lo, hi in spans)

    def recompute(self, w: _Worker, d: int) -> None:
        """Refresh w's working minutes (visits and travel between them) for day d and the week."""
        route = w.routes[d]
        work = sum(s.end - s.start for s in route)
        work += sum(self.tt[a.loc][b.loc] for a, b in zip(route, route[1:]))
        w.week_work += work - w.day_work[d]
        w.day_work[d] = work

    # --- planting ------------------------------------------------------------------------------
    def cost(self, w: _Worker, c: _Client, v: _Visit, s: int, delta: int) -> float:
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

    def options(
        self, vi: int, req: int, lo: int, hi: int, circle_only: bool
    ) -> list[tuple[float, int, tuple[int, ...]]]:
        """Feasible (cost, start, workers) for visit vi with req workers, start in [lo, hi]."""
        v = self.visits[vi]
        c = self.clients[v.client]
        cands = [
            w for w in self.workers if self.eligible(w, v, req) and (not circle_only or w.idx in c.circle)
        ]
        free = MAX_CLIENT_WORKERS - len(c.counts)
        if free <= 0:
            cands = [w for w in cands if w.idx in c.counts]
        per_start: dict[int, list[tuple[float, int]]] = {}
        for w in cands:
            for s, pidx in self.candidates(w, v, req, lo, hi):
                ins = self.insertion(w, v, s, pidx)
                if ins is None:
                    continue
                per_start.setdefault(s, []).append((self.cost(w, c, v, s, ins[1]), w.idx))
        out: list[tuple[float, int, tuple[int, ...]]] = []
        if req == 1:
            for s, lst in per_start.items():
                for cst, wi in lst:
                    out.append((cst, s, (wi,)))
        else:
            for s, lst in per_start.items():
                for (c1, w1), (c2, w2) in itertools.combinations(lst, 2):
                    if self.workers[w1].new and self.workers[w2].new:
                        continue
                    newfaces = (w1 not in c.counts) + (w2 not in c.counts)
                    if newfaces > free:
                        continue
                    out.append((c1 + c2, s, tuple(sorted((w1, w2)))))
        out.sort()
        return out

    def apply(self, vi: int, s: int, ws: tuple[int, ...]) -> None:
        """Put visit vi into the workers' routes at s."""
        v = self.visits[vi]
        c = self.clients[v.client]
        for wi in ws:
            w = self.workers[wi]
            pidx = self.period_of(w, v.day, s, s + v.dur)
            route = w.routes[v.day]
            pos = 0
            while pos < len(route) and route[pos].start < s:
                pos += 1
            route.insert(pos, _Stop(s, s + v.dur, vi, v.loc, pidx))
            self.recompute(w, v.day)
            c.counts[wi] = c.counts.get(wi, 0) + 1
        v.start, v.workers, v.req = s, ws, len(ws)

    def unapply(self, vi: int) -> None:
        """Take visit vi out of its workers' routes."""
        v = self.visits[vi]
        c = self.clients[v.client]
        for wi in v.workers:
            w = self.workers[wi]
            w.routes[v.day] = [st for st in w.routes[v.day] if st.visit != vi]
            self.recompute(w, v.day)
            c.counts[wi] -= 1
            if not c.counts[wi]:
                del c.counts[wi]
        v.start, v.workers = -1, ()

    def plant(self, vi: int, circle_only: bool) -> bool:
        """Plant visit vi at its cheapest feasible start and workers; False if it fits nowhere."""
        v = self.visits[vi]
        opts = self.options(vi, v.req, v.e, v.l, circle_only)
        if not opts and v.req == 2 and v.fallback_single and not circle_only:
            opts = self.options(vi, 1, v.e, v.l, circle_only)
        if not opts:
            return False
        _, s, ws = opts[0]
        self.apply(vi, s, ws)
        return True

    def plant_pair(self, a: int, b: int, gap_lo: int, gap_hi: int, circle_only: bool) -> bool:
        """Plant linked visits a then b with b.start - a.start in [gap_lo, gap_hi]."""
        va = self.visits[a]
        for _, s, ws in self.options(a, va.req, va.e, va.l, circle_only)[:25]:
            self.apply(a, s, ws)
            vb = self.visits[b]
            opts = self.options(b, vb.req, s + gap_lo, s + gap_hi, circle_only)
            if opts:
                _, s2, ws2 = opts[0]
                self.apply(b, s2, ws2)
                return True
            self.unapply(a)
        return False

    def circle(self, vis: list[_Visit], point: tuple[float, float]) -> tuple[list[int], list[bool]]:
        """Up to 3 workers with room for most of these visits in their shifts and routes, lightly
        loaded, working nearby and with the skills wanted (the visits' skills are fitted to the
        circle afterwards), and which of the visits it can take (one flag per visit)."""
        fits: list[tuple[int, int]] = []  # (req, mask)
        count = [0] * len(self.workers)
        for v in vis:
            mask = 0
            for w in self.workers:
                if not self.eligible(w, v, v.req, skills=False):
                    continue
                for s, pidx in self.candidates(w, v, v.req, v.e, v.l):
                    if self.insertion(w, v, s, pidx) is not None:
                        mask |= 1 << w.idx
                        count[w.idx] += 1
                        break
            fits.append((v.req, mask))

        doubles = any(req == 2 for req, _ in fits)
        wanted = frozenset().union(*(v.skills for v in vis))

        def load(wi: int) -> float:  # lower is better
            w = self.workers[wi]
            if w.new:
                return -300.0 if doubles else 0.0
            geo = 0.0
            if w.served:
                geo = _km(point, (w.lat_sum / w.served, w.lon_sum / w.served))
            return 200.0 * w.week_work / max(1, w.cap_week) + 30.0 * geo - 60.0 * len(wanted & w.skills)

        able = (wi for wi in range(len(self.workers)) if count[wi])
        cand = sorted(able, key=lambda i: (-count[i], load(i), i))[:8]
        if not cand:
            return [], [False] * len(vis)
        exp_mask = sum(1 << w.idx for w in self.workers if not w.new)
        best: tuple[float, tuple[int, ...], list[bool]] | None = None
        for combo in itertools.combinations(cand, min(MAX_CLIENT_WORKERS, len(cand))):
            m = sum(1 << i for i in combo)
            flags = [(mask & m & exp_mask) != 0 and (mask & m).bit_count() >= req for req, mask in fits]
            score = 1000.0 * sum(flags) - sum(load(i) for i in combo)
            if best is None or score > best[0]:
                best = (score, combo, flags)
        assert best is not None
        return sorted(best[1], key=lambda i: (-count[i], load(i), i)), best[2]

    def add_clients(self, specs: list[_Spec], deps: list[tuple[int, int, int, int, list[int]]]) -> int:
        """Plant a client (or a household); return visits planted, or 0 if it was dropped.

        ``deps`` are (first client, first call, second client, second call, days) in spec terms.
        """
        n_visits0, n_clients0, n_points0 = len(self.visits), len(self.clients), len(self.points)
        vmap: dict[tuple[int, int, int], int] = {}
        locs = []
        for spec in specs:
            known = spec.point in self.points
            locs.append(self.points.index(spec.point) if known else self.add_point(spec.point))
        for k, spec in enumerate(specs):
            loc = locs[k]
            ci = len(self.clients)
            self.clients.append(_Client(spec.name, loc, spec.two_workers))
            for ki, (call, e, l_, dur, req, skills, call_days) in enumerate(spec.calls):
                for d in call_days:
                    vi = len(self.visits)
                    single_ok = req == 2 and not spec.two_workers
                    self.visits.append(
                        _Visit(ci, loc, d, d * DAY + e, d * DAY + l_, dur, req, skills, call, single_ok)
                    )
                    self.clients[ci].visits.append(vi)
                    vmap[(k, ki, d)] = vi
        new_vis = list(range(n_visits0, len(self.visits)))
        need = min(0.6, self.accept_share) if any(s.two_workers for s in specs) else self.accept_share
        circle, reach = self.circle([self.visits[vi] for vi in new_vis], specs[0].point)
        hopeful = sum(reach) >= need * len(new_vis)
        for ci in range(n_clients0, len(self.clients)):
            self.clients[ci].circle = circle
        # A call keeps a wanted skill only if every circle member who can make that call has it:
        # the team gives a person needing dementia care a circle trained in it.
        by_call: dict[tuple[int, str], list[int]] = {}
        for vi in new_vis:
            by_call.setdefault((self.visits[vi].client, self.visits[vi].call), []).append(vi)
        for group in by_call.values():
            keep = set(self.visits[group[0]].skills)
            for wi in circle:
                w = self.workers[wi]
                for vi in group:
                    v = self.visits[vi]
                    if next(self.candidates(w, v, v.req, v.e, v.l), None) is not None:
                        keep &= w.skills
                        break
            for vi in group:
                self.visits[vi].skills = frozenset(keep)
        planted: list[int] = []
        pairs: list[tuple[int, int, int, int]] = []
        todo_pairs: list[tuple[int, int, int, int]] = []
        for c1, k1, c2, k2, gaps in deps:
            for d in range(self.days):
                a, b = vmap.get((c1, k1, d)), vmap.get((c2, k2, d))
                if a is not None and b is not None:
                    todo_pairs.append((a, b, gaps[0], gaps[1]))
        in_pairs = {x for p in todo_pairs for x in p[:2]}
        rest = [vi for vi in new_vis if vi not in in_pairs]
        rest.sort(key=lambda vi: (-self.visits[vi].req, self.visits[vi].e, vi))
        for circle_only in (True, False) if hopeful else ():
            for a, b, lo, hi in todo_pairs:
                if not self.visits[a].workers and self.plant_pair(a, b, lo, hi, circle_only):
                    planted += [a, b]
                    pairs.append((a, b, lo, hi))
            for vi in rest:
                if not self.visits[vi].workers and self.plant(vi, circle_only):
                    planted.append(vi)
        stats: dict[str, list[int]] = {}
        for k, vi in enumerate(new_vis):
            v = self.visits[vi]
            st = stats.setdefault(v.call, [0, 0])
            st[0] += 1
            st[1] += not (v.workers if hopeful else reach[k])
        for call, (n, failed) in stats.items():
            self.pressure[call] = 0.6 * self.pressure.get(call, 0.0) + 0.4 * failed / n
        if not new_vis or len(planted) < need * len(new_vis):
            for vi in reversed(planted):
                self.unapply(vi)
            del self.visits[n_visits0:]
            del self.clients[n_clients0:]
            del self.points[n_points0:]
            self.tt = [row[:n_points0] for row in self.tt[:n_points0]]
            for spec in specs:
                self.names.used.discard(spec.name)
            return 0
        self.deps.extend(pairs)
        for ci in range(n_clients0, len(self.clients)):
            for wi in self.clients[ci].counts:
                w = self.workers[wi]
                w.served += 1
                w.lat_sum += specs[0].point[0]
                w.lon_sum += specs[0].point[1]
        return len(planted)

    def add_point(self, p: tuple[float, float]) -> int:
        """Add a client location and its travel times; return its index."""
        idx = len(self.points)
        self.points.append(p)
        row = [
            haversine_minutes(p[0], p[1], q[0], q[1], SPEED_KMH, DETOUR_FACTOR) if q != p else 0
            for q in self.points
        ]
        for i, r in enumerate(self.tt):
            r.append(row[i])
        self.tt.append(row)
        return idx

    def make_clients(self) -> None:
        """Add clients one at a time until the planted visits are near the target."""
        tol = max(1, int(0.03 * self.target))  # overshoot allowed
        low = max(1, round(0.01 * self.target))  # undershoot aimed for
        total = 0
        plan: list[str] = []
        if self.n >= 9:
            plan += ["two", "four", "hoist", "couple", "three", "hoist", "pair", "four", "hoist"]
            plan += ["three", "hoist", "hoist", "three", "hoist"]
        elif self.n >= 3:
            plan += ["couple", "pair"]
        rejects = 0
        attempts = 0
        heavy = True  # people with daily calls first, while the rota has room for them
        while total < self.target - low and rejects < 100 and attempts < 2000:
            attempts += 1
            if heavy and (rejects >= 20 or total >= 0.8 * self.target):
                heavy = False
            # a full rota: take on people whose care the team can only partly give
            self.accept_share = ACCEPT_SHARE if rejects < 40 else LAST_ACCEPT_SHARE
            kind = plan.pop(0) if plan else "regular"
            remaining = self.target - total
            specs = self.make_spec(kind, max_visits=remaining + tol, daily_only=heavy)
            if not specs:
                break
            if sum(len(c[6]) for s in specs for c in s.calls) > remaining + tol:
                for s in specs:
                    self.names.used.discard(s.name)
                continue
            deps: list[tuple[int, int, int, int, list[int]]] = []
            if kind == "couple":
                deps = [(0, 0, 1, 0, [0, 30])]
            elif kind == "pair":
                deps = [(0, 1, 1, 0, [0, 0])]
            got = self.add_clients(specs, deps)
            for _ in range(RETIME_TRIES if len(specs) == 1 and not got else 0):
                specs = [self.retime(specs[0])]
                self.names.used.add(specs[0].name)
                got = self.add_clients(specs, deps)
                if got:
                    break
            if got:
                total += got
                rejects = 0
            else:
                rejects += 1
        if total < 0.95 * self.target:
            log.warning(
                "team %s: planted %d visits, short of the target %d", self.town[0], total, self.target
            )

    # --- output --------------------------------------------------------------------------------
    def build(self) -> _TeamResult:
        """The team's part of the instance and of the plan, with contract ids."""
        self.make_workers()
        self.make_clients()
        rng = self.rng
        ws = self.workers
        pre = self.prefix
        cwidth = max(2, len(str(len(self.clients))))
        cids = [f"{pre}p{i + 1:0{cwidth}d}" for i in range(len(self.clients))]
        live = [vi for vi, v in enumerate(self.visits) if v.workers]
        live.sort(key=lambda vi: (self.visits[vi].day, self.visits[vi].e, self.visits[vi].client, vi))
        vwidth = max(4, len(str(len(live))))
        vids = {vi: f"{pre}v{k + 1:0{vwidth}d}" for k, vi in enumerate(live)}
        loc_ids = {}
        locations: list[dict[str, Any]] = []
        for ci, c in enumerate(self.clients):
            if c.loc not in loc_ids:
                loc_ids[c.loc] = f"L-{cids[ci]}"
                p = self.points[c.loc]
                locations.append({"id": loc_ids[c.loc], "lat": p[0], "lon": p[1]})
        for w in ws:
            locations.append({"id": f"L-{w.id}", "lat": w.home[0], "lon": w.home[1]})
        workers_out = []
        for w in ws:
            workers_out.append({
                "id": w.id,
                "name": w.name,
                "home": f"L-{w.id}",
                "skills": [s for s in SKILLS if s in w.skills],
                "contract_minutes": w.contract,
                "overtime_minutes": w.overtime,
                "new_starter": w.new,
                "availability": [
                    {"start": self.iso(a), "end": self.iso(b)}
                    for d in range(self.days) for a, b in w.periods[d]
                ],
                "commitments": [
                    {"start": self.iso(a), "end": self.iso(b), "what": what}
                    for d in range(self.days) for a, b, what in w.commits[d]
                ],
                "flexible_working": w.flex,
                **self.team_field,
            })  # fmt: skip
        clients_out = []
        for ci, c in enumerate(self.clients):
            ranked = sorted(c.counts, key=lambda wi: (-c.counts[wi], ws[wi].new, wi))
            ranked = [wi for wi in ranked if not ws[wi].new] or ranked
            links = ranked[:1]
            if len(ranked) > 1 and c.counts[ranked[1]] >= 0.25 * len(c.visits) and rng.random() < 0.7:
                links.append(ranked[1])
            excluded: list[str] = []
            others = [w for w in ws if w.idx not in c.counts]
            if others and rng.random() < 0.3:
                excluded.append(rng.choice(others).id)
            clients_out.append({
                "id": cids[ci],
                "name": c.name,
                "location": loc_ids[c.loc],
                "link_workers": [ws[wi].id for wi in links],
                "excluded_workers": excluded,
                "two_workers": c.two_workers,
                **self.team_field,
            })  # fmt: skip
        visits_out = []
        plan_visits = []
        for vi in live:
            v = self.visits[vi]
            visits_out.append({
                "id": vids[vi],
                "client": cids[v.client],
                "earliest_start": self.iso(v.e),
                "latest_start": self.iso(v.l),
                "duration_min": v.dur,
                "workers_required": v.req,
                "skills": [s for s in SKILLS if s in v.skills],
            })  # fmt: skip
            plan_visits.append(
                {"visit": vids[vi], "start": self.iso(v.start), "workers": [ws[i].id for i in v.workers]}
            )
        deps_out = [
            {"first": vids[a], "second": vids[b], "min_gap_min": lo, "max_gap_min": hi}
            for a, b, lo, hi in sorted(self.deps, key=lambda x: vids[x[0]])
        ]
        breaks = []
        for w in ws:
            for d in range(self.days):
                if w.day_work[d] > BREAK_AFTER:
                    b = self.break_slot(w, d, w.routes[d])
                    assert b is not None
                    end = self.iso(b + BREAK_MINUTES)
                    breaks.append({"worker": w.id, "start": self.iso(b), "end": end})
        roles = [
            {
                "id": f"{pre}{rid}", "name": name, "minutes_per_week": minutes, "holders": 1, "skills": [],
                **self.team_field,
            }
            for rid, name, minutes in ROLES
        ]
        exp = [w.id for w in ws if not w.new]
        rng.shuffle(exp)
        history = []
        for k in range(3):
            week = self.start - timedelta(days=7 * (3 - k))
            for r, (rid, _, _) in enumerate(ROLES[: len(exp)]):
                holder = exp[(r + 2 * k) % len(exp)]
                history.append({"week_start": week.isoformat(), "role": f"{pre}{rid}", "worker": holder})
        buddies = [[ws[i].id for i in g] for g in self.groups]
        log.debug(
            "team %s: %d workers, %d clients, %d visits", self.town[0], len(ws), len(self.clients), len(live)
        )
        return _TeamResult(
            locations, workers_out, clients_out, visits_out, deps_out, buddies, roles, history,
            plan_visits, breaks,
        )  # fmt: skip


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
        early = [
            (MORNING_TRIO[0], {"school", "dbl"}), (MORNING_TRIO[1], {"late", "dbl"}), (MORNING_TRIO[2], {"new"})
        ]
        late = [(EVENING_TRIO[0], {"dbl"}), (EVENING_TRIO[1], {"dbl"}), (EVENING_TRIO[2], {"new"})]
        units.append((early, [[0, 2]], False))
        units.append((late, [[0, 1]], True))
        rest = n - 6
    pods = rest // 3
    pod_units: list[list[tuple[str, set[str]]]] = []
    for p in range(0, pods - 1, 2):
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
    combos = list(itertools.product(*[range(7) if unit[2] else range(1) for unit in units]))
    rng.shuffle(combos)
    best: tuple[float, list[tuple[str, set[str]]], list[list[int]]] | None = None
    for combo in combos[:400]:
        slots: list[tuple[str, set[str]]] = []
        groups: list[list[int]] = []
        for (lines, inner, _), r in zip(units, combo):
            base = len(slots)
            slots += [(_rotate(line, r), set(tags)) for line, tags in lines]
            groups += [[base + i for i in g] for g in inner]
        groups += _buddies(slots, {i for g in groups for i in g})
        score = _roster_score(slots, groups)
        if best is None or score > best[0]:
            best = (score, slots, groups)
    assert best is not None
    return best[1], best[2]


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
    return 10 * sum(x in "LS" and y in "LS" for x, y in zip(a, b)) + sum(x == y for x, y in zip(a, b))


def _rotate(line: str, k: int) -> str:
    """A rota line started k days later."""
    k %= len(line)
    return line[k:] + line[:k]
