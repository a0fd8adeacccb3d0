"""The large-neighbourhood search: never worse, always a valid rota of the full model."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from factory import client, indexed_rota, instance, rules, visit, worker
from selforg_scheduler import validate
from selforg_scheduler.greedy import greedy_rota
from selforg_scheduler.lns import Budget, Incumbent, lns_improve
from selforg_scheduler.model import add_hints, build_model
from selforg_scheduler.problem import compile_problem
from selforg_scheduler.solver import _complete_hint, _objective_of, _read_rota


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


def test_lns_from_the_greedy_rota_never_worsens_and_stays_valid():
    inst = crowded_week()
    rule_set = rules()
    problem = compile_problem(inst)
    ctx = build_model(problem, rule_set)
    greedy = greedy_rota(problem, rule_set, ctx.eligible, ctx.domains)
    add_hints(ctx, greedy.start, greedy.crew, greedy.held, greedy.routes)
    _complete_hint(ctx, 5.0)
    hint = ctx.model.proto.solution_hint
    values = [0] * len(ctx.model.proto.variables)
    for index, value in zip(hint.vars, hint.values, strict=True):
        values[index] = value
    start_objective = _objective_of(ctx, values)
    improved: list[int] = []

    def step(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = limit
        solver.parameters.num_workers = 1
        solver.solve(model)
        return solver

    result, steps = lns_improve(
        ctx, Incumbent(values, start_objective), Budget(time.perf_counter() + 5.0), step,
        on_improve=lambda inc: improved.append(inc.objective),
    )
    assert steps >= 1
    assert result.objective <= start_objective
    assert improved == sorted(improved, reverse=True)
    assert result.objective == _objective_of(ctx, result.values)
    raw = _read_rota(ctx, result.values)
    rota = indexed_rota(inst, problem, raw.start, raw.crew, rule_set, raw.held)
    report = validate(inst, rota, rule_set)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == result.objective
