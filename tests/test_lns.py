"""The large-neighbourhood search: never worse, always a valid rota of the full model.

No test here depends on how fast the machine is: the search's clock (its budget's, and
``time.perf_counter`` as :mod:`~selforg_scheduler.cpsat.lns` sees it) is a fake one that only the steps move, and each
CP-SAT step is bounded by deterministic seconds (one worker), so the steps taken and the rotas
found are the same on any machine, however loaded.
"""

from __future__ import annotations

import gc
import logging
import random

import pytest
from ortools.sat.python import cp_model

import selforg_scheduler.cpsat.lns as lns_module
from factory import DAY0, client, indexed_rota, instance, rules, visit, worker
from selforg_scheduler import validate
from selforg_scheduler.core.budget import SolveBudget, WallClock
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.cpsat.lns import (
    FixedModel,
    Incumbent,
    Neighbourhood,
    _choose,
    _client_week,
    lns_improve,
)
from selforg_scheduler.cpsat.model import add_hints, build_model
from selforg_scheduler.cpsat.run import complete_hint, objective_of, read_rota
from selforg_scheduler.search.greedy import greedy_rota


def crowded_week():
    places = ["A", "B", "C", "D"]
    return instance(
        [worker("w1"), worker("w2"), worker("w3", ("2026-12-01", "07:00", "15:00"))],
        [client(f"p{i}", places[i % 4], link_workers=[f"w{i % 3 + 1}"]) for i in range(8)],
        [
            visit(f"v{d}{i}", f"p{i}", f"{7 + i:02d}:00", f"{8 + i:02d}:00", duration=40, day=day)
            for d, day in enumerate(["2026-11-30", "2026-12-01"])
            for i in range(8)
        ],
        days=2,
    )


def _incumbent(inst, rule_set):
    problem = compile_problem(inst)
    ctx = build_model(problem, rule_set)
    greedy = greedy_rota(problem, rule_set, ctx.eligible, ctx.domains)
    add_hints(ctx, greedy.start, greedy.crew, greedy.held, greedy.routes)
    values = complete_hint(ctx, SAFETY_S)  # every hinted variable fixed: the same on any machine
    assert values is not None
    return problem, ctx, values


SAFETY_S = 120.0
"""A wall-clock bound on a CP-SAT call that only a hung search reaches (never what a test asserts)."""


class FakeClock:
    """The LNS's ``time`` module: a clock that stands still until a step moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(lns_module, "time", fake)
    return fake


def budget(clock: FakeClock, seconds: float) -> SolveBudget:
    """A wall-clock budget of ``seconds`` on the fake clock."""
    return SolveBudget(WallClock(clock.now + seconds, clock.perf_counter))


def _solve_within(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
    """One CP-SAT worker within ``limit`` deterministic seconds (the same search on any machine)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = limit
    solver.parameters.max_time_in_seconds = SAFETY_S
    solver.parameters.num_workers = 1
    solver.solve(model)
    return solver


def _stepper(clock: FakeClock, took: float | None = None, limits: list[float] | None = None):  # type: ignore[no-untyped-def]
    """An LNS step that moves the fake clock by ``took`` seconds (default: the step's whole limit)
    and records the limits it was given."""

    def step(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
        if limits is not None:
            limits.append(limit)
        solver = _solve_within(model, limit)
        clock.advance(limit if took is None else took)
        return solver

    return step


def test_lns_from_the_greedy_rota_never_worsens_and_stays_valid(clock):
    inst = crowded_week()
    rule_set = rules()
    problem, ctx, values = _incumbent(inst, rule_set)
    start_objective = objective_of(ctx, values)
    improved: list[int] = []
    limits: list[float] = []

    result, steps = lns_improve(
        ctx,
        Incumbent(values, start_objective),
        budget(clock, 5.0),
        _stepper(clock, limits=limits),
        on_improve=lambda inc: improved.append(inc.objective),
    )
    # 5 s of 2-second steps that each take their whole limit: at most 2 + 2 + 1 s
    assert 1 <= steps == len(limits) <= 3 and sum(limits) <= 5.0
    assert result.objective <= start_objective
    assert improved == sorted(improved, reverse=True)
    assert result.objective == objective_of(ctx, result.values)
    raw = read_rota(ctx, result.values)
    rota = indexed_rota(inst, problem, raw.start, raw.crew, rule_set, raw.held)
    report = validate(inst, rota, rule_set)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == result.objective


def _extreme(model: cp_model.CpModel, index: int, sense: int) -> int:
    """The least (sense 1) or greatest (sense -1) value of a variable over the model's rotas."""
    copy = model.clone()
    copy.clear_hints()
    var = copy.get_int_var_from_proto_index(index)
    copy.minimize(sense * var)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 20
    solver.parameters.max_time_in_seconds = SAFETY_S
    assert solver.solve(copy) == cp_model.OPTIMAL
    return int(round(solver.objective_value))


def test_a_neighbourhood_model_loses_no_rota_of_the_neighbourhood():
    """Freeing only the arcs a neighbourhood can use loses no rota: each freed visit's earliest
    and latest start are those of a copy with every arc of its days free (only the other visits
    fixed), and the incumbent stays a solution."""
    inst = crowded_week()
    rule_set = rules()
    problem, ctx, values = _incumbent(inst, rule_set)
    incumbent = Incumbent(values, objective_of(ctx, values))
    before = [tuple(var.domain) for var in ctx.model.proto.variables]
    rng = random.Random(4)
    hoods = [
        Neighbourhood("one", frozenset({0}), frozenset({3})),
        Neighbourhood("two", frozenset({0, 1}), frozenset({1, 2, 12})),
    ]
    while len(hoods) < 6:
        hood = _choose(ctx, incumbent, rng, problem.visits_by_day, set(), part_size=6)
        if hood is not None and len(hood.visits) < len(problem.visits):
            hoods.append(hood)
    for hood in hoods:
        plain = ctx.model.clone()
        variables = plain.proto.variables
        for v in range(len(problem.visits)):
            if v not in hood.visits:
                for index in ctx.visit_variables(v):
                    variables[index].domain.clear()
                    variables[index].domain.extend((values[index], values[index]))
        with FixedModel(ctx, values) as fixed:
            sub = fixed.open(hood)
        assert [tuple(var.domain) for var in ctx.model.proto.variables] == before  # restored
        for v in sorted(hood.visits)[:4]:
            for sense in (1, -1):
                index = ctx.start[v].index
                assert _extreme(sub, index, sense) == _extreme(plain, index, sense), (hood, v, sense)
        hinted = cp_model.CpSolver()
        hinted.parameters.fix_variables_to_their_hinted_value = True
        assert hinted.solve(sub) == cp_model.OPTIMAL, hood


def test_a_client_week_step_swaps_a_regular_worker_to_cover_a_visit_the_cap_blocks():
    """p may see two workers; w1 and w2 do its morning visits and are gone by 17:00, when only w3
    works. The client-week neighbourhood frees the 17:00 visit and one regular's visit to p, so
    w3 can take both: every visit covered."""
    inst = instance(
        [
            worker("w1", (DAY0, "07:00", "12:00")),
            worker("w2", (DAY0, "07:00", "12:00")),
            worker("w3", (DAY0, "07:00", "20:00")),
        ],
        [client("p", "A"), client("q", "B")],
        [
            visit("a", "p", "08:00"),
            visit("b", "p", "10:00"),
            visit("c", "p", "17:00"),
            visit("d", "q", "09:00"),
        ],
    )
    rule_set = rules("continuity.max_distinct_workers=2")
    problem = compile_problem(inst)
    ctx = build_model(problem, rule_set)
    index = {v.id: v.index for v in problem.visits}
    w1, w2, w3 = (w.index for w in problem.workers)
    a, b, d = index["a"], index["b"], index["d"]
    add_hints(
        ctx,
        {a: 8 * 60, b: 10 * 60, d: 9 * 60},
        {a: (w1,), b: (w2,), d: (w3,)},
        {},
        {(w1, 0): [a], (w2, 0): [b], (w3, 0): [d]},
    )
    values = complete_hint(ctx, SAFETY_S)
    assert values is not None and values[ctx.covered[index["c"]].index] == 0
    incumbent = Incumbent(values, objective_of(ctx, values))
    for seed in range(4):
        hood = _client_week(ctx, values, index["c"], random.Random(seed))
        assert hood.kind == "client"
        assert index["c"] in hood.visits and len(hood.visits & {index["a"], index["b"]}) == 1, hood
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        with FixedModel(ctx, values) as fixed:
            assert solver.solve(fixed.open(hood)) == cp_model.OPTIMAL
        assert solver.objective_value < incumbent.objective
        assert all(solver.value(ctx.covered[v]) for v in (index["a"], index["b"], index["c"]))


def test_once_every_visit_is_covered_the_search_stops_after_the_extra_time(clock):
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p", "A"), client("q", "B")],
        [visit("a", "p", "08:00", "09:00"), visit("b", "q", "08:00", "10:00"), visit("c", "p", "11:00")],
    )
    rule_set = rules()
    problem, ctx, values = _incumbent(inst, rule_set)
    coverable = [v for v, workers in enumerate(ctx.eligible) if workers]
    assert all(values[ctx.covered[v].index] for v in coverable)  # the greedy covers this week

    incumbent = Incumbent(values, objective_of(ctx, values))
    _, steps = lns_improve(ctx, incumbent, budget(clock, 5.0), _stepper(clock), covered_extra_s=0.0)
    assert steps == 0
    # 1.5 s more: one 1-second step, then a half-second one (of a 100-second budget)
    limits: list[float] = []
    _, steps = lns_improve(
        ctx, incumbent, budget(clock, 100.0), _stepper(clock, limits=limits), step_s=1.0, covered_extra_s=1.5
    )
    assert 1 <= steps and limits == [1.0, 0.5][:steps]
    _, steps = lns_improve(ctx, incumbent, budget(clock, 3.0), _stepper(clock))
    assert steps >= 1


def test_the_step_models_do_not_pile_up_until_the_garbage_collector_runs(clock):
    """Each step's model is one scratch copy refilled, so no step model outlives its step even
    with the garbage collector off (OR-Tools' CpModel holds a reference cycle: a clone a step
    stayed until a collection, 50 MB a step on a busy team's week)."""
    inst = crowded_week()
    _, ctx, values = _incumbent(inst, rules())

    def models() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, cp_model.CpModel))

    gc.collect()
    alive = models()
    gc.disable()
    try:
        counted: list[int] = []

        timed = _stepper(clock, took=0.25)

        def step(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
            counted.append(models())
            return timed(model, limit)

        _, steps = lns_improve(ctx, Incumbent(values, objective_of(ctx, values)), budget(clock, 3.0), step)
        assert steps >= 3 and len(counted) == steps
        assert max(counted) == alive + 1  # the model and one scratch copy, however many steps
    finally:
        gc.enable()


def test_a_whole_model_step_that_runs_out_of_time_gives_the_next_twice_as_long(caplog, clock):
    """A one-day week of 24 visits: its day neighbourhood is the whole model. Each step here stops
    at its first rota (the incumbent, from the hint: never better), so every whole-model step
    runs out of time and the next gets twice its time; the part steps (fewer visits) keep theirs."""
    n = 24
    inst = instance(
        [worker(f"w{k}") for k in range(4)],
        [client(f"p{i}", "ABCD"[i % 4]) for i in range(n)],
        [visit(f"v{i}", f"p{i}", f"{8 + i % 10:02d}:00", f"{9 + i % 10:02d}:00", duration=20) for i in range(n)],
    )
    _, ctx, values = _incumbent(inst, rules())
    limits: list[float] = []

    def first_rota(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
        limits.append(limit)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.stop_after_first_solution = True
        solver.parameters.cp_model_presolve = False
        solver.parameters.max_time_in_seconds = SAFETY_S
        solver.solve(model)
        clock.advance(0.1)  # each step takes 0.1 s of the fake clock, whatever its limit
        return solver

    incumbent = Incumbent(values, objective_of(ctx, values))
    with caplog.at_level(logging.DEBUG, logger="selforg_scheduler.cpsat.lns"):
        lns_improve(ctx, incumbent, budget(clock, 4.0), first_rota, seed=1, step_s=0.001)
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("lns step")]
    assert len(steps) == len(limits)
    whole = [limit for msg, limit in zip(steps, limits, strict=True) if f"of {n} visits, FEASIBLE" in msg]
    parts = {limit for msg, limit in zip(steps, limits, strict=True) if f"of {n} visits" not in msg}
    assert len(whole) >= 3 and parts == {0.001}
    assert whole[:3] == [0.001, 0.002, 0.004]
