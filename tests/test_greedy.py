"""The greedy builder: insertion options, client circles and ejection repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from factory import client, instance, rules, visit, worker
from selforg_scheduler.contract.io import instance_from_dict
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.datasets.mankowska import read_mankowska, to_instance
from selforg_scheduler.rules.config import default_rules, load_rules
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.search.builder import BREAK_ROOM, RouteBuilder
from selforg_scheduler.search.greedy import (
    insert_by_regret,
    insert_in_order,
    plan_circles,
    repair,
)


def setup(inst, *overrides):
    rule_set = rules(*overrides)
    problem = compile_problem(inst)
    eligible, domains = eligibility(problem, rule_set)
    return problem, RouteBuilder(problem, rule_set, eligible, domains)


def test_repair_moves_a_blocking_visit_to_make_room():
    # Only w1 has medication for v2 (fixed 08:00); v1 sits on w1 at 08:00 but w2 could do it.
    inst = instance(
        [worker("w1", skills=["medication"]), worker("w2")],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00", "08:10"), visit("v2", "p2", "08:00", skills=["medication"])],
    )
    problem, b = setup(inst)
    b.place(0, 480, (0,))
    assert b.best_crew(1) is None
    assert repair(b) == 1
    assert b.crew == {1: (0,), 0: (1,)}
    assert b.start[1] == 480


def chain_case():
    """vN needs w1, whose v1 only w2 can also do, whose v2 w3 can take: two moves cover vN."""
    return instance(
        [worker("w1", skills=["medication", "hoist"]), worker("w2", skills=["hoist"]), worker("w3")],
        [client("p1"), client("p2"), client("p3")],
        [
            visit("v1", "p1", "08:00", skills=["hoist"]),
            visit("v2", "p2", "08:00"),
            visit("vN", "p3", "08:00", skills=["medication"]),
        ],
    )


def test_repair_follows_an_ejection_chain_as_deep_as_allowed():
    """vN needs w1, whose v1 only w2 can also do, whose v2 w3 can take: two moves cover vN."""
    inst = chain_case()
    for depth, covered in ((1, 0), (2, 1)):
        problem, b = setup(inst)
        b.place(0, 480, (0,))
        b.place(1, 480, (1,))
        assert repair(b, depth=depth) == covered
    assert b.crew == {2: (0,), 0: (1,), 1: (2,)}


def test_repair_undoes_a_move_that_does_not_work_out():
    inst = instance(
        [worker("w1", skills=["medication"])],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:00", skills=["medication"])],
    )
    problem, b = setup(inst)
    b.place(0, 480, (0,))
    assert repair(b) == 0
    assert b.crew == {0: (0,)} and b.routes[(0, 0)] == [0]


def test_circles_cover_the_clients_visits_within_the_cap():
    inst = instance(
        [worker("w1", ("2026-11-30", "07:00", "10:00")), worker("w2", ("2026-11-30", "12:00", "15:00")), worker("w3")],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "13:00")],
    )
    problem, b = setup(inst)
    circles = plan_circles(problem, b.eligible, cap=3)
    # w3 can do both visits alone, so one worker suffices.
    assert circles[0] == frozenset({2})
    assert plan_circles(problem, b.eligible, cap=None) == {}


def test_option_reports_the_cheapest_insertion_and_respects_the_cap():
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "09:00"), visit("v3", "p1", "11:00")],
    )
    problem, b = setup(inst, "continuity.max_distinct_workers=1")
    b.place(0, 480, (0,))
    assert b.option(2, 1) is None  # p1 already sees w1 and the cap is 1
    option = b.option(1, 0)
    assert option is not None and option.starts[0][0] == 540
    assert option.cost >= 20  # 20 minutes from A to C


def test_regret_insertion_places_first_the_visit_with_one_possible_worker():
    # v1 (index 0) could go to either worker (w1 on a tie); v2 only to w1, at the same time. In
    # index order v1 would take w1 and strand v2.
    inst = instance(
        [worker("w1", skills=["medication"]), worker("w2")],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:00", skills=["medication"])],
    )
    problem, b = setup(inst)
    assert insert_in_order(b, [0, 1]) == 1 and 1 not in b.crew  # the plain order strands v2
    problem, b = setup(inst)
    assert insert_by_regret(b, [0, 1]) == 2
    assert b.crew == {1: (0,), 0: (1,)}


class _NoWeekProblem:
    """A week rule that never objects: forces best_crew's general search over start times."""

    name = "none"

    def week_problem(self, builder, w, day):
        return None


MANKOWSKA_B1 = (
    Path(__file__).resolve().parent.parent
    / "benchmarks"
    / "data"
    / "mankowska2014"
    / "instances"
    / "InstanzCPLEX_HCSRP_25_1.txt"
)


def test_best_crew_shortcut_without_week_rules_is_as_cheap_as_the_search_over_starts():
    """Without week or crew rules a one-worker visit goes to a worker's earliest start; that is
    as cheap (travel and lateness) as trying every start the general search tries."""
    inst = instance_from_dict(to_instance(read_mankowska(MANKOWSKA_B1)))
    rule_set = load_rules(Path(__file__).resolve().parent.parent / "constraints" / "mankowska.yaml")
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    b = RouteBuilder(problem, rule_set, eligible, domains)
    assert not b.week_rules and not b.crew_rules
    order = sorted(range(len(problem.visits)), key=lambda v: problem.visits[v].earliest)
    insert_in_order(b, order[: len(order) // 2])

    def cost(v, found):
        t, (w,) = found
        late = max(0, t - problem.visits[v].latest)
        return b.option(v, w).cost + b.w_late * late + b.w_largest * max(0, late - b.largest_late)

    compared = 0
    for v in order[len(order) // 2 :]:
        if problem.visits[v].required != 1 or v in b.crew:
            continue
        quick = b.best_crew(v)
        b.week_rules = [_NoWeekProblem()]
        full = b.best_crew(v)
        b.week_rules = []
        assert (quick is None) == (full is None)
        if quick is not None:
            assert cost(v, quick) == cost(v, full)
            compared += 1
    assert compared >= 10


def test_ejections_leave_alone_a_visit_whose_workers_are_not_worked_out():
    """An organisation's merge works out eligibility only for some visits: a blocker without it
    cannot be put anywhere else, so no chain moves it (and none looks for its blockers)."""
    inst = chain_case()
    rule_set = rules()
    problem = compile_problem(inst)
    eligible, domains = eligibility(problem, rule_set, [2])  # only vN's
    b = RouteBuilder(problem, rule_set, eligible, domains)
    b.place(0, 480, (0,))
    b.place(1, 480, (1,))
    assert repair(b) == 0
    assert b.crew == {0: (0,), 1: (1,)}


MANKOWSKA_YAML = Path(__file__).resolve().parent.parent / "constraints" / "mankowska.yaml"


def push_case(*overrides: str, linked: bool = False, b_latest: str = "10:00"):
    """One worker already does a (08:00) and b (08:30, may start until ``b_latest``), back to
    back at the same place; v must start at 08:30 (lateness soft under mankowska.yaml). Only
    starting b later fits v on time. With ``linked``, b starts together with c (another worker's
    visit)."""
    workers = [worker("w1")] + ([worker("w2")] if linked else [])
    visits = [
        visit("a", "p", "08:00"),
        visit("b", "q", "08:30", b_latest),
        visit("v", "p", "08:30"),
    ]
    extra = {}
    if linked:
        visits.append(visit("c", "q", "08:30", "10:00"))
        extra["dependencies"] = [{"first": "b", "second": "c", "min_gap_min": 0, "max_gap_min": 0}]
    inst = instance(workers, [client("p"), client("q")], visits, **extra)
    rule_set = load_rules(MANKOWSKA_YAML, overrides)
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    b = RouteBuilder(problem, rule_set, eligible, domains)
    ix = problem.visit_index
    b.place(ix["a"], problem.visits[ix["a"]].earliest, (0,))
    b.place(ix["b"], problem.visits[ix["b"]].earliest, (0,))
    if linked:
        b.place(ix["c"], problem.visits[ix["c"]].earliest, (1,))
    return problem, b, ix


def test_pushed_insertion_starts_the_later_visits_later_to_fit_a_visit_on_time():
    problem, b, ix = push_case()
    v, later = ix["v"], ix["b"]
    half_hour = 30 * problem.unit
    assert b.can_push
    # Without pushing, v only fits after b: half an hour late.
    assert b.option(v, 0).starts[0][0] == problem.visits[v].latest + half_hour
    pushed = b.pushed_option(v, 0)
    assert pushed.start == problem.visits[v].earliest
    assert pushed.shifts == ((later, problem.visits[later].earliest + half_hour),)
    assert pushed.cost == 0  # b is still on time; no travel (same place)
    b.place_pushed(v, pushed)
    assert b.routes[(0, 0)] == [ix["a"], v, later]
    assert b.start[later] == problem.visits[later].earliest + half_hour


def test_pushed_insertion_never_moves_a_visit_out_of_its_window_or_its_linked_gap():
    problem, b, ix = push_case("time_windows.hard=true")
    assert b.pushed_option(ix["v"], 0).shifts  # b may start later within its window
    problem, b, ix = push_case("time_windows.hard=true", b_latest="08:30")
    assert b.pushed_option(ix["v"], 0) is None  # b may not, and v may not be late
    problem, b, ix = push_case(linked=True)
    v = ix["v"]
    pushed = b.pushed_option(v, 0)
    # b starts together with c: it cannot move, so v goes after it, half an hour late
    assert pushed.shifts == () and pushed.start == problem.visits[v].latest + 30 * problem.unit


def test_pull_earlier_gives_the_time_a_removal_frees_back_to_the_later_visits():
    problem, b, ix = push_case()
    v, later = ix["v"], ix["b"]
    b.place_pushed(v, b.pushed_option(v, 0))
    b.remove(v)
    b.pull_earlier([(0, 0)])
    assert b.start[later] == problem.visits[later].earliest
    assert b.start[ix["a"]] == problem.visits[ix["a"]].earliest


def test_insertion_pushes_only_when_the_builder_is_told_to_and_the_rules_allow():
    problem, b, ix = push_case()
    insert_in_order(b, [ix["v"]])
    assert b.start[ix["v"]] > problem.visits[ix["v"]].latest  # default: gaps only, v late
    problem, b, ix = push_case()
    b.push = True
    insert_in_order(b, [ix["v"]])
    assert b.start[ix["v"]] == problem.visits[ix["v"]].latest
    problem, b, _ = push_case()
    b.week_rules = [object()]  # a week rule makes every start matter
    assert not b.can_push


def test_largest_lateness_is_worked_out_again_after_the_latest_visit_leaves():
    problem, b, ix = push_case()
    v = ix["v"]
    late = b.option(v, 0).starts[0][0]  # after b: half an hour late
    b.place(v, late, (0,))
    half_hour = 30 * problem.unit
    assert b.largest_late == half_hour
    # Beyond the largest so far, a minute late costs the largest-lateness weight too; below it not.
    assert b.lateness_cost(v, late) == b.w_late * half_hour
    b.remove(v)
    assert b.largest_late == half_hour  # a removal alone leaves it stale
    b.refresh_largest_late()
    assert b.largest_late == 0
    assert b.lateness_cost(v, late) == (b.w_late + b.w_largest) * half_hour


def _best_crew_trying_every_start(b: RouteBuilder, v: int):
    """best_crew without its shortcuts: every candidate start, every worker there asked the week
    rules (the search as it was before they were added), as an oracle."""
    p = b.problem
    vd = p.visits[v]
    options = [o for w in b.eligible[v] if (o := b.option(v, w)) is not None]
    if len(options) < vd.required:
        return None
    candidates = sorted({t for o in options for a, c in o.starts for t in (a, min(c, a + BREAK_ROOM * p.unit))})
    seen = b.seen.get(vd.client, set())
    best = None
    for t in candidates:
        able = sorted(
            (o.cost, o.worker)
            for o in options
            if any(a <= t <= c for a, c in o.starts) and b.week_problem(v, t, o.worker) is None
        )
        chosen = b._choose(v, able, seen)
        if chosen is None:
            continue
        new = sum(1 for _, w in chosen if w not in seen)
        cost = sum(c for c, _ in chosen) + b.w_extra * max(0, new - 1) + b.lateness_cost(v, t)
        if best is None or cost < best[0]:
            best = (cost, t, tuple(w for _, w in chosen))
    return None if best is None else (best[1], best[2])


@pytest.mark.parametrize("seed", [1, 2])
def test_best_crew_picks_what_trying_every_start_and_worker_picks(seed):
    """The skipped starts and the week rules asked one worker at a time change nothing: on a
    generated week under every default rule (double-ups, breaks, rest, caps), half placed, each
    other visit gets exactly the crew and start of the exhaustive search."""
    made = generate_instance(workers=10, visits=260, days=2, seed=seed)
    inst = instance_from_dict(made.instance)
    rule_set = default_rules()
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    b = RouteBuilder(problem, rule_set, eligible, domains)
    assert b.week_rules
    order = sorted(range(len(problem.visits)), key=lambda v: (problem.visits[v].day, problem.visits[v].earliest))
    insert_in_order(b, order[::2])
    compared = doubles = 0
    for v in order[1::2]:
        if v in b.crew or not eligible[v]:
            continue
        assert b.best_crew(v) == _best_crew_trying_every_start(b, v)
        compared += 1
        doubles += problem.visits[v].required > 1
    assert compared >= 40 and doubles >= 1
