"""The solve loop: warm start, progress, watchdog, status fields.

Budgets here are CP-SAT's deterministic seconds with one worker (``DETERMINISTIC``): the same
search, hence the same status and rota, on any machine however loaded; the wall-clock limit
beside them is only a safety bound no test reaches.
"""

from __future__ import annotations

import logging
import threading

import pytest
from ortools.sat.python import cp_model

import selforg_scheduler.cpsat.run as run_mod
import selforg_scheduler.pipeline.solve as solve_mod
from factory import client, instance, rules, visit, worker
from selforg_scheduler import Progress, SolveParams, solve, solve_detailed, validate

SAFETY_S = 120.0
"""A wall-clock bound that only a hung search reaches (never what a test asserts)."""
DETERMINISTIC = SolveParams(time_limit_s=SAFETY_S, workers=1, seed=0, deterministic_time=10.0)


def busy_week():
    return instance(
        [worker("w1"), worker("w2")],
        [client("p1", "A"), client("p2", "B"), client("p3", "C"), client("p4", "D")],
        [
            visit(f"v{i}", f"p{i % 4 + 1}", f"{8 + i // 2:02d}:00", f"{8 + i // 2:02d}:45", duration=25)
            for i in range(10)
        ],
    )


def test_greedy_hint_is_completed_into_a_full_feasible_hint(caplog):
    caplog.set_level(logging.WARNING)
    result = solve_detailed(busy_week(), rules(), DETERMINISTIC)
    assert "could not be completed" not in caplog.text
    assert result.solution.status in ("OPTIMAL", "FEASIBLE")


def test_progress_reports_improving_objectives():
    seen: list[Progress] = []
    solution = solve(busy_week(), rules(), DETERMINISTIC, on_progress=seen.append)
    assert seen, "the callback is called at least once"
    objectives = [p.objective for p in seen]
    assert objectives == sorted(objectives, reverse=True)
    assert seen[-1].objective == solution.objective
    assert all(p.bound <= p.objective + 1e-6 for p in seen)


def test_status_objective_bound_and_gap():
    solution = solve(busy_week(), rules(), DETERMINISTIC)
    assert solution.status == "OPTIMAL"
    assert solution.bound == solution.objective and solution.gap == 0.0
    assert solution.wall_s > 0 and solution.found_by == "cp-sat"


def test_the_summary_line_says_status_objective_coverage_and_who_found_the_rota():
    result = solve_detailed(busy_week(), rules(), DETERMINISTIC)
    s = result.solution
    line = result.summary()
    assert line == s.summary()
    assert line.startswith(f"{s.status}  objective {s.objective:,.0f}  bound {s.bound:,.0f}  gap 0.00%  ")
    assert f"covered {len(s.visits)}/{len(busy_week().visits)}" in line
    assert line.endswith(f"(rota by {s.found_by})")


def test_without_hint_the_answer_is_as_good():
    with_hint = solve(busy_week(), rules(), DETERMINISTIC)
    without = solve(busy_week(), rules(), DETERMINISTIC.model_copy(update={"hint": False}))
    assert with_hint.objective == without.objective  # both optimal on this small week


def test_watchdog_stops_an_overrunning_search_and_keeps_a_rota(monkeypatch):
    stopped = threading.Event()
    real_stop = cp_model.CpSolver.stop_search

    class Stuck(cp_model.CpSolver):
        def solve(self, model, callback=None):
            if callback is None:  # the hint-completion solve
                return super().solve(model, callback)
            stopped.wait(timeout=30)  # overruns until the watchdog stops it
            self.parameters.max_time_in_seconds = 0.001
            self.parameters.fix_variables_to_their_hinted_value = False
            super().solve(model)
            return cp_model.UNKNOWN

        def stop_search(self):
            stopped.set()
            real_stop(self)

    monkeypatch.setattr(run_mod.cp_model, "CpSolver", Stuck)
    # The hint completion (every hinted variable fixed) gets as long as it needs, not its share of
    # the 0.5 s: on a loaded machine that share could run out and leave no complete rota to keep.
    complete_hint = solve_mod.complete_hint
    monkeypatch.setattr(solve_mod, "complete_hint", lambda ctx, limit_s, det=None: complete_hint(ctx, SAFETY_S))
    week = busy_week()
    result = solve_detailed(week, rules(), SolveParams(time_limit_s=0.5, workers=1))
    assert stopped.is_set(), "the watchdog called stop_search"
    sol = result.solution
    # The completed greedy hint is a rota of the model (FEASIBLE); no time was left to improve it.
    assert sol.status == "FEASIBLE" and sol.found_by == "greedy"
    assert sol.visits, "the greedy rota is kept"
    assert validate(week, sol, rules()).ok


def test_bound_is_at_least_the_rules_floor():
    # v2 needs a skill nobody has: every rota pays its 30 minutes x 1000.
    inst = instance(
        [worker("w1")],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "10:00", skills=["peg_feeding"])],
    )
    solution = solve(inst, rules("contract_hours.enabled=false"), DETERMINISTIC)
    assert solution.objective == 30_000 - 10
    assert 30_000 - 10 <= solution.bound <= solution.objective


def test_complete_rota_fills_in_the_break_a_hand_made_rota_needs():
    from selforg_scheduler import complete_rota

    # 07:00-14:00 of visits with a 30-minute gap at 12:00: over 6 h, so a break is needed there.
    inst = instance(
        [worker("w1")],
        [client("p1")],
        [visit("v1", "p1", "07:00", duration=300), visit("v2", "p1", "12:30", duration=90)],
    )
    from factory import hand_rota

    rota = hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("12:30", ["w1"])})
    assert "breaks" in {v.rule for v in validate(inst, rota, rules()).violations}
    done = complete_rota(inst, rota, rules())
    assert rota.breaks == []  # the input is not changed
    assert [(b.start.strftime("%H:%M"), b.end.strftime("%H:%M")) for b in done.breaks] == [("12:00", "12:20")]
    assert validate(inst, done, rules()).ok


def test_lns_starts_from_the_completed_hint_when_the_main_search_finds_nothing(monkeypatch, caplog):
    import logging

    import selforg_scheduler.pipeline.solve as solver_module
    from selforg_scheduler import SolveParams

    # A main search with no time at all (a microsecond: UNKNOWN on any machine) returns UNKNOWN;
    # the completed greedy hint must then seed the LNS instead of the week falling back to the
    # bare greedy rota. (On a deterministic budget CP-SAT would still take the complete hint.)
    monkeypatch.setattr(run_mod, "MAIN_SHARE", 1e-6)
    monkeypatch.setattr(run_mod, "MAIN_FLOOR_S", 1e-6)
    # The hint completion (every hinted variable fixed) gets as long as it needs, not its share of
    # the time limit, which a loaded machine could spend before it completes.
    complete_hint = solver_module.complete_hint
    monkeypatch.setattr(solver_module, "complete_hint", lambda ctx, limit_s, det=None: complete_hint(ctx, SAFETY_S))
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1"), client("p2", "B"), client("p3", "C")],
        [visit(f"v{i}", f"p{i % 3 + 1}", f"{8 + i:02d}:00", f"{8 + i:02d}:30") for i in range(6)],
    )
    rule_set = rules()
    with caplog.at_level(logging.INFO, logger="selforg_scheduler.cpsat.run"):
        result = solver_module.solve_detailed(inst, rule_set, SolveParams(time_limit_s=4, workers=1))
    assert "starts from the completed greedy hint" in caplog.text
    sol = result.solution
    assert sol.status == "FEASIBLE" and sol.found_by in ("cp-sat", "greedy")
    report = validate(inst, sol, rule_set)
    assert report.ok and report.objective == sol.objective == result.solver_objective


def test_granular_circuits_keep_fewer_arcs_and_the_hint_and_still_give_valid_rotas():
    from selforg_scheduler.contract.io import instance_from_dict
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.cpsat.model import ArcFilter, build_model
    from selforg_scheduler.datasets.generate import generate_instance
    from selforg_scheduler.rules.frame import eligibility
    from selforg_scheduler.search.greedy import greedy_rota

    inst = instance_from_dict(generate_instance(workers=4, visits=40, days=1, seed=3).instance)
    rule_set = rules()
    problem = compile_problem(inst)
    eligible, domains = eligibility(problem, rule_set)
    greedy = greedy_rota(problem, rule_set, eligible, domains, {})
    keep = frozenset(
        (w, u, v) for (w, _), route in greedy.routes.items() for u, v in zip(route, route[1:], strict=False)
    )
    full = build_model(problem, rule_set, (eligible, domains))
    lean = build_model(problem, rule_set, (eligible, domains), ArcFilter(3, keep))

    def arcs(ctx):
        return {
            (wd.worker, a.tail, a.head)
            for wd in ctx.worker_days.values()
            for a in wd.arcs
            if a.tail >= 0 and a.head >= 0
        }

    assert arcs(lean) < arcs(full)
    assert keep <= arcs(lean)
    # only days above the threshold are filtered (the default keeps every arc of a team's day)
    busiest = max(len(wd.visits) for wd in full.worker_days.values())
    assert arcs(build_model(problem, rule_set, (eligible, domains), ArcFilter(3, keep, above=busiest))) == arcs(full)
    assert arcs(build_model(problem, rule_set, (eligible, domains), ArcFilter(3, keep, above=busiest - 1))) < arcs(full)
    result = solve_detailed(inst, rule_set, DETERMINISTIC.model_copy(update={"granular": 3}))
    assert result.report.ok and result.report.objective == result.solver_objective
    assert len(result.solution.visits) >= len(greedy.crew)  # the greedy's arcs are kept: never worse


class TickingClock:
    """A clock that moves ``step`` seconds each time it is read: time passes as the solve works."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_greedy_stops_trying_orders_and_inserting_when_its_time_is_up(monkeypatch):
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.rules.frame import eligibility
    from selforg_scheduler.search import greedy as greedy_module

    inst, rule_set = busy_week(), rules()
    problem = compile_problem(inst)
    eligible, domains = eligibility(problem, rule_set)
    monkeypatch.setattr(greedy_module, "REGRET_MAX", 0)  # insertion orders only
    orders: list[int] = []
    insert_all = greedy_module._insert_all
    monkeypatch.setattr(greedy_module, "_insert_all", lambda *a, **k: orders.append(1) or insert_all(*a, **k))
    full = greedy_module.greedy_rota(problem, rule_set, eligible, domains)
    assert len(orders) == 4 and full.crew
    orders.clear()
    calls = iter(range(10**6))
    stopped = greedy_module.greedy_rota(problem, rule_set, eligible, domains, stop=lambda: next(calls) >= 3)
    assert len(orders) == 1, "no order after the first once the time is up"
    assert 0 < len(stopped.crew) < len(full.crew), "the first order stopped inserting too"


def test_a_solve_with_no_time_left_after_the_warm_start_hands_it_on_instead_of_overrunning(monkeypatch):
    from selforg_scheduler.core.budget import SolveBudget

    clock = TickingClock(0.1)  # every reading of the clock costs a tenth of the 1 s limit
    monkeypatch.setattr(
        SolveParams, "budget", lambda self, clock_=clock: SolveBudget.of(self.time_limit_s, None, clock_)
    )
    monkeypatch.setattr(solve_mod, "build_model", lambda *a, **k: pytest.fail("the model was built"))
    week = busy_week()
    result = solve_detailed(week, rules(), SolveParams(time_limit_s=1.0, workers=1))
    sol = result.solution
    assert sol.status == "UNKNOWN" and sol.found_by == "greedy" and result.solver_objective is None
    assert len(sol.visits) + len(sol.unassigned) == len(week.visits)
    assert all(u.reason for u in sol.unassigned)
    report = validate(week, sol, rules())
    assert report.ok and report.objective == sol.objective


def test_a_frame_out_of_time_leaves_the_visits_it_did_not_examine_uncovered_saying_why(monkeypatch):
    from selforg_scheduler.core.budget import SolveBudget
    from selforg_scheduler.pipeline.reasons import NO_TIME

    clock = TickingClock(0.1)  # the frame's share (0.3 of 1 s) is spent after a few visits
    monkeypatch.setattr(
        SolveParams, "budget", lambda self, clock_=clock: SolveBudget.of(self.time_limit_s, None, clock_)
    )
    week = busy_week()
    sol = solve_detailed(week, rules(), SolveParams(time_limit_s=1.0, workers=1)).solution
    assert len(sol.visits) + len(sol.unassigned) == len(week.visits)
    no_time = [u.visit for u in sol.unassigned if u.reason == NO_TIME]
    assert len(no_time) >= len(week.visits) - 3  # the frame examined at most the first three
    report = validate(week, sol, rules())
    assert report.ok and report.objective == sol.objective


def test_the_model_estimate_bounds_the_arcs_then_declines_to_build(monkeypatch, caplog):
    from selforg_scheduler.cpsat.model import ArcFilter

    # n visits on a worker-day: n^2 + n arcs with every arc, about 2k + 2 a visit with k neighbours
    assert solve_mod.estimated_arcs([10, 3], None) == 110 + 12
    assert solve_mod.estimated_arcs([200], ArcFilter(25, above=120)) == 200 * 52
    assert solve_mod.estimated_arcs([100], ArcFilter(25, above=120)) == 100 * 101

    week = busy_week()
    seen: list[tuple] = []
    build = solve_mod.build_model

    def spy(problem, rule_set, frame, arcs=None, guarded=False):
        seen.append((arcs.per_visit, arcs.above))
        return build(problem, rule_set, frame, arcs, guarded)

    monkeypatch.setattr(solve_mod, "build_model", spy)
    monkeypatch.setattr(solve_mod, "MAX_ARCS", 100)  # every arc: 2 worker-days of 10 visits, 220 arcs
    result = solve_detailed(week, rules(), DETERMINISTIC)
    assert seen == [(solve_mod.MIN_GRANULAR, 2 * solve_mod.MIN_GRANULAR)]  # fewest neighbours, on more days
    assert validate(week, result.solution, rules()).ok

    seen.clear()
    monkeypatch.setattr(solve_mod, "MAX_ARCS", 1)
    with caplog.at_level(logging.WARNING):
        result = solve_detailed(week, rules(), DETERMINISTIC)
    assert not seen, "a model past the memory bound is not built"
    assert result.solution.found_by == "greedy" and "the warm start is the rota" in caplog.text
    assert validate(week, result.solution, rules()).ok


def test_reasons_after_the_limit_say_that_time_ran_out():
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.pipeline.reasons import NO_TIME, builder_from_rota, unassigned_reasons
    from selforg_scheduler.rules.frame import eligibility

    week, rule_set = busy_week(), rules()
    problem = compile_problem(week)
    eligible, domains = eligibility(problem, rule_set)
    builder = builder_from_rota(problem, rule_set, eligible, domains, {}, {}, {})
    visits = list(range(len(problem.visits)))
    calls = iter(range(10**6))
    reasons = unassigned_reasons(builder, visits, unexamined=[0], stop=lambda: next(calls) >= 4)
    assert reasons[0] == NO_TIME  # unexamined
    assert all(reasons[v] != NO_TIME for v in visits[1:5])  # worked out before the stop
    assert all(reasons[v] == NO_TIME for v in visits[5:])


def test_a_rota_breaking_a_hard_rule_is_never_handed_out():
    # The rota the search ends with (here the greedy's, made by hand to break two rules) goes out
    # only after the visits that break a hard rule are left out, each with the rule it broke.
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.cpsat.run import RawRota
    from selforg_scheduler.rules.frame import eligibility

    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1"), client("p2", "B")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:10"), visit("v3", "p1", "16:00")],
    )
    rule_set = rules()
    problem = compile_problem(inst)
    frame = eligibility(problem, rule_set)
    at = {vd.id: vd.index for vd in problem.visits}
    # v1 08:00 and v2 08:10 (10 min away) both by w1 overlap; v3 at 16:00 is outside w2's 07:00-15:00.
    raw = RawRota(
        {at["v1"]: 8 * 60, at["v2"]: 8 * 60 + 10, at["v3"]: 16 * 60},
        {at["v1"]: (0,), at["v2"]: (0,), at["v3"]: (1,)},
        {},
    )
    solution, report = solve_mod.make_solution(problem, rule_set, frame, inst, "FEASIBLE", raw, "greedy", 0.0, 1.0)
    assert report.ok, [str(v) for v in report.violations]
    assert validate(inst, solution, rule_set).ok
    left = {u.visit: u.reason for u in solution.unassigned}
    assert set(left) == {"v2", "v3"}
    assert "availability" in left["v3"] and left["v2"].startswith("left out:")
    assert [a.visit for a in solution.visits] == ["v1"]
    assert solution.objective == report.objective
