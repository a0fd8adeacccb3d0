"""Properties on random small weeks: every solved rota is valid and the validator catches breaches."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from factory import DAY0, DAY1, LOCATIONS, at, indexed_rota, instance, rules
from selforg_scheduler import Solution, SolveParams, solve_detailed, validate
from selforg_scheduler.core.problem import (
    compile_problem,
    earliest_fitting_start,
    fitting_starts,
    intersect,
)
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.search.greedy import greedy_rota

SKILLS = ["medication", "hoist"]
DAYS = [DAY0, DAY1]
PLACES = [k for k in LOCATIONS if k != "H"]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


FLEX = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("earliest_start"),
            "time": st.sampled_from(["08:00", "09:15"]),
            "strength": st.sampled_from(["agreed", "wish"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("latest_end"),
            "time": st.sampled_from(["14:00", "18:00"]),
            "strength": st.sampled_from(["agreed", "wish"]),
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("day_off"), "days": st.just(["tue"]), "strength": st.sampled_from(["agreed", "wish"])}
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("max_minutes_per_day"),
            "minutes": st.sampled_from([60, 240]),
            "strength": st.sampled_from(["agreed", "wish"]),
        }
    ),
)


@st.composite
def weeks(draw: st.DrawFn) -> tuple[Any, list[str]]:
    days = draw(st.integers(1, 2))
    n_workers = draw(st.integers(1, 4))
    workers = []
    for i in range(n_workers):
        periods = []
        for d in DAYS[:days]:
            if draw(st.booleans()) or i == 0:
                s = draw(st.integers(6 * 12, 11 * 12)) * 5
                e = s + draw(st.integers(3 * 12, 9 * 12)) * 5
                periods.append((d, hhmm(s), hhmm(min(e, 23 * 60))))
        commitments = []
        if periods and draw(st.booleans()):
            d, a, _ = periods[0]
            s = int(a[:2]) * 60 + int(a[3:]) + draw(st.integers(0, 24)) * 5
            commitments.append({"start": at(hhmm(s), d), "end": at(hhmm(s + 60), d), "what": "meeting"})
        workers.append(
            {
                "id": f"w{i + 1}",
                "name": f"W{i + 1}",
                "home": "H",
                "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True)),
                "contract_minutes": draw(st.sampled_from([0, 600, 1800])),
                "new_starter": i > 0 and draw(st.integers(0, 3)) == 0,
                "flexible_working": draw(st.lists(FLEX, max_size=2)),
                "availability": [{"start": at(a, d), "end": at(b, d)} for d, a, b in periods],
                "commitments": commitments,
            }
        )
    ids = [w["id"] for w in workers]
    n_clients = draw(st.integers(1, 4))
    clients = []
    for j in range(n_clients):
        link = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
        excl = draw(st.lists(st.sampled_from([w for w in ids if w not in link] or ["-"]), unique=True, max_size=1))
        clients.append(
            {
                "id": f"p{j + 1}",
                "location": draw(st.sampled_from(PLACES)),
                "link_workers": link,
                "excluded_workers": [e for e in excl if e != "-"],
            }
        )
    visits = []
    for k in range(draw(st.integers(1, 9))):
        e = draw(st.integers(6 * 12, 21 * 12 + 6)) * 5
        visits.append(
            {
                "id": f"v{k + 1}",
                "client": draw(st.sampled_from(clients))["id"],
                "earliest_start": at(hhmm(e), draw(st.sampled_from(DAYS[:days]))),
                "latest_start": "",
                "duration_min": draw(st.integers(2, 12)) * 5,
                "workers_required": draw(st.sampled_from([1, 1, 1, 2])),
                "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=1)),
            }
        )
        width = draw(st.integers(0, 18)) * 5
        visits[-1]["latest_start"] = visits[-1]["earliest_start"][:11] + hhmm(e + width)
    deps = []
    if len(visits) >= 2 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from([v["id"] for v in visits]), min_size=2, max_size=2, unique=True))
        lo = draw(st.integers(-60, 60))
        deps.append({"first": a, "second": b, "min_gap_min": lo, "max_gap_min": lo + draw(st.integers(0, 60))})
    overrides = []
    if draw(st.booleans()):
        overrides.append("time_windows.hard=false")
        overrides.append(f"time_windows.largest_lateness_weight={draw(st.sampled_from([0, 3]))}")
    overrides.append(f"continuity.max_distinct_workers={draw(st.integers(1, 4))}")
    # Tight working-time knobs, so that every rule of issue #3 binds now and then.
    overrides.append(f"daily_limit.max_minutes={draw(st.sampled_from([180, 600]))}")
    overrides.append(f"breaks.after_minutes={draw(st.sampled_from([90, 360]))}")
    overrides.append(f"breaks.measure={draw(st.sampled_from(['working', 'span']))}")
    overrides.append(f"daily_rest.min_minutes={draw(st.sampled_from([660, 1000]))}")
    buddies = [ids[:2]] if len(ids) >= 2 and draw(st.booleans()) else []
    # Team roles: sometimes more places than holders can fill, minutes that eat into contracts.
    roles = [
        {
            "id": f"r{k + 1}",
            "minutes_per_week": draw(st.sampled_from([60, 300, 900])),
            "holders": draw(st.integers(1, 2)),
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=1)),
        }
        for k in range(draw(st.integers(0, 2)))
    ]
    history = [
        {"week_start": week, "role": r["id"], "worker": draw(st.sampled_from(ids))}
        for r in roles
        for week in draw(st.lists(st.sampled_from(["2026-11-16", "2026-11-23"]), unique=True))
    ]
    overrides.append(f"roles.min_available_days={draw(st.integers(0, 2))}")
    inst = instance(
        workers,
        clients,
        visits,
        days=days,
        home_legs=draw(st.booleans()),
        dependencies=deps,
        buddies=buddies,
        roles=roles,
        role_history=history,
    )
    return inst, overrides


PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETERMINISTIC = SolveParams(time_limit_s=120, workers=1, seed=0, deterministic_time=5.0)
"""Five of CP-SAT's deterministic seconds, one worker: the same rota for a week on any machine,
however loaded (the wall-clock limit is only a safety bound)."""


@PROPS
@given(weeks())
def test_every_solved_rota_passes_the_validator(week):
    inst, overrides = week
    rule_set = rules(*overrides)
    result = solve_detailed(inst, rule_set, DETERMINISTIC)
    sol = result.solution
    assert sol.status in ("OPTIMAL", "FEASIBLE")
    listed = [a.visit for a in sol.visits] + [u.visit for u in sol.unassigned]
    assert sorted(listed) == sorted(v.id for v in inst.visits)  # each visit exactly once
    assert all(u.reason for u in sol.unassigned)
    report = validate(inst, sol, rule_set)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == sol.objective == result.solver_objective
    assert sol.bound is not None and sol.bound <= sol.objective + 1e-6


@PROPS
@given(weeks())
def test_the_greedy_warm_start_is_a_valid_rota(week):
    inst, overrides = week
    rule_set = rules(*overrides)
    problem = compile_problem(inst)
    eligible, domains = eligibility(problem, rule_set)
    held = rule_set["roles"].choose(problem)
    g = greedy_rota(problem, rule_set, eligible, domains, held)
    rota = indexed_rota(inst, problem, g.start, g.crew, rule_set, g.held)
    report = validate(inst, rota, rule_set)
    assert report.ok, [str(v) for v in report.violations]


MUTATIONS = ["time_windows", "skills", "exclusions", "coverage", "overlap", "availability", "roles"]


@PROPS
@given(weeks(), st.sampled_from(MUTATIONS), st.data())
def test_the_validator_catches_each_planted_violation(week, kind, data):
    inst, _ = week
    rule_set = rules("roles.min_available_days=0")  # the random weeks are one or two days long
    sol = solve_detailed(inst, rule_set, DETERMINISTIC).solution
    assume(sol.visits)
    raw = sol.model_dump(mode="json")
    by_id = {v.id: v for v in inst.visits}
    workers = {w.id: w for w in inst.workers}
    i = data.draw(st.integers(0, len(raw["visits"]) - 1))
    entry = raw["visits"][i]
    v = by_id[entry["visit"]]
    if kind == "time_windows":
        entry["start"] = (v.latest_start.replace(second=0)).isoformat(timespec="minutes")[:11] + hhmm(
            v.latest_start.hour * 60 + v.latest_start.minute + 1
        )
    elif kind == "skills":
        lacking = [w for w in workers.values() if not set(v.skills) <= set(w.skills) and w.id not in entry["workers"]]
        assume(lacking)
        entry["workers"][0] = lacking[0].id
    elif kind == "exclusions":
        client = next(c for c in inst.clients if c.id == v.client)
        excluded = [w for w in client.excluded_workers if w not in entry["workers"]]
        assume(excluded)
        entry["workers"][0] = excluded[0]
    elif kind == "coverage":
        raw["visits"].pop(i)
    elif kind == "overlap":
        # give another visit of the same day to this visit's first worker, at the same start
        w = entry["workers"][0]
        same_day = [
            o
            for o in raw["visits"]
            if o is not entry
            and w not in o["workers"]
            and by_id[o["visit"]].earliest_start.date() == v.earliest_start.date()
        ]
        assume(same_day)
        same_day[0]["workers"][0] = w
        same_day[0]["start"] = entry["start"]
    elif kind == "availability":
        start = v.earliest_start.replace(second=0)
        end_min = start.hour * 60 + start.minute + v.duration_min
        free = [
            w
            for w in workers.values()
            if w.id not in entry["workers"]
            and not any(
                p.start <= start and (p.end - start).total_seconds() / 60 >= v.duration_min for p in w.availability
            )
        ]
        assume(free and end_min < 24 * 60)
        entry["workers"][0] = free[0].id
        entry["start"] = start.isoformat(timespec="minutes")
    elif kind == "roles":
        assume(raw["roles"])
        new_starters = [w.id for w in workers.values() if w.new_starter]
        if new_starters and data.draw(st.booleans()):
            raw["roles"][0]["worker"] = new_starters[0]  # a new starter never holds a role
        else:
            raw["roles"] = []  # a role left empty although someone could hold it
    report = validate(inst, Solution.model_validate(raw), rule_set)
    found = {x.rule for x in report.violations}
    assert kind in found, (kind, found)


def _ranges(draw_ints: list[int]) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint closed ranges from a list of cut points."""
    cuts = sorted(set(draw_ints))
    return tuple((a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False))


@given(
    blocks=st.lists(st.integers(0, 200), min_size=2, max_size=8),
    domain=st.lists(st.integers(0, 200), min_size=2, max_size=8),
    duration=st.integers(0, 40),
    lo=st.integers(0, 200),
    hi=st.integers(0, 200),
    lead=st.integers(0, 20),
    tail=st.integers(0, 20),
)
def test_the_earliest_fitting_start_is_the_first_of_the_fitting_starts(blocks, domain, duration, lo, hi, lead, tail):
    blocks_r, domain_r = _ranges(blocks), _ranges(domain)
    found = intersect(fitting_starts(blocks_r, duration, lo, hi, lead, tail), domain_r)
    expected = found[0][0] if found else None
    assert earliest_fitting_start(blocks_r, duration, lo, hi, domain_r, lead, tail) == expected
