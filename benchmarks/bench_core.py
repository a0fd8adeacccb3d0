"""pytest-benchmark suites of the solver core, with fixed deterministic settings.

Quick mode (CI, the default): ``--benchmark-disable`` is in the project's pytest options, so each
benchmark runs once as a test and its assertions keep it from rotting. Full mode times them and
saves JSON: ``python -m pytest benchmarks --benchmark-enable --benchmark-autosave`` (see README).
The solves use one search worker, a fixed seed and a limit in CP-SAT's deterministic time, so a
run does the same work on any machine; the times then measure the machine and the code.
"""

from __future__ import annotations

import pytest

from conftest import WEEK
from selforg_scheduler.contract.io import instance_from_dict, read_json
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.cpsat.model import build_model
from selforg_scheduler.modes.buddies import pair_buddies
from selforg_scheduler.modes.rotation import RotationParams, plan_roles
from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed
from selforg_scheduler.rules.config import default_rules
from selforg_scheduler.rules.validator import validate
from selforg_scheduler.search.greedy import greedy_rota

DETERMINISTIC = SolveParams(time_limit_s=120, workers=1, seed=0, deterministic_time=5.0)


def test_load_and_check_the_week(benchmark):
    raw = read_json(WEEK)
    inst = benchmark(instance_from_dict, raw, str(WEEK))
    assert len(inst.visits) == len(raw["visits"])


def test_build_the_week_model(benchmark, week):
    rules = default_rules()

    def build():
        return build_model(compile_problem(week), rules)

    ctx = benchmark(build)
    assert len(ctx.x) >= len(week.visits)  # at least one eligible worker per visit
    benchmark.extra_info["eligible_pairs"] = len(ctx.x)


def test_greedy_rota_of_the_week(benchmark, week):
    rules = default_rules()
    problem = compile_problem(week)
    ctx = build_model(problem, rules)
    assigner = rules.role_assigner()
    assert assigner is not None
    held = assigner.choose(problem)
    builder = benchmark(greedy_rota, problem, rules, ctx.eligible, ctx.domains, held)
    assert len(builder.crew) >= 0.9 * len(problem.visits)
    benchmark.extra_info["covered"] = len(builder.crew)


def test_validate_the_planted_week(benchmark, week, week_plan):
    rules = default_rules()
    report = benchmark(validate, week, week_plan, rules)
    assert report.ok and report.kpis["coverage_pct"] == 100.0


def test_solve_generated_team(benchmark, generated):
    name, inst = generated

    def run():
        return solve_detailed(inst, default_rules(), DETERMINISTIC)

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    sol = result.solution
    assert sol.status in ("OPTIMAL", "FEASIBLE")
    assert result.report.ok, [str(v) for v in result.report.violations][:3]
    assert result.report.objective == result.solver_objective
    benchmark.extra_info.update(
        instance=name, visits=len(inst.visits), covered=len(sol.visits), objective=sol.objective, gap=sol.gap
    )


def test_pair_buddies_of_the_week(benchmark, week):
    plan = benchmark(pair_buddies, week, None, True)
    placed = sorted(w for group in plan.groups for w in group.members)
    assert placed == sorted(w.id for w in week.workers)


@pytest.mark.parametrize("weeks", [4])
def test_rotate_roles_of_the_week(benchmark, week, weeks):
    params = RotationParams(weeks=weeks, time_limit_s=5.0)
    plan = benchmark.pedantic(plan_roles, args=(week, params), rounds=1, iterations=1)
    assert len(plan.holders) == weeks
    benchmark.extra_info["spread"] = plan.spread
