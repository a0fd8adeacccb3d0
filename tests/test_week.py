"""The realistic default week: every visit covered with default rules, validator clean.

These are the issues' acceptance checks: the real 30-second default solve once (issue #2), and
60-second solves with constraints/default.yaml and constraints/strict.yaml (issue #3). What a
timed solve covers depends on how fast the machine is, so those runs assert only what holds
whatever its speed (a valid rota, every working-time rule kept); coverage is asserted on solves
with a fixed budget of CP-SAT's deterministic seconds and one worker, which do the same work on
any machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selforg_scheduler import (
    Solution,
    default_rules,
    load_instance,
    load_rules,
    solve,
    validate,
)
from selforg_scheduler.cli import app
from selforg_scheduler.pipeline.solve import SolveParams

ROOT = Path(__file__).resolve().parents[1]
WEEK = ROOT / "instances" / "week.json"


@pytest.fixture(scope="module")
def week():
    return load_instance(WEEK)


def test_week_is_a_realistic_team(week):
    assert len(week.workers) == 12
    assert 420 <= len(week.visits) <= 480
    assert any(v.workers_required > 1 for v in week.visits), "double-ups"
    assert week.dependencies, "linked visits"
    assert any(c.link_workers for c in week.clients) and any(c.excluded_workers for c in week.clients)
    assert any(c.what == "team meeting" for w in week.workers for c in w.commitments)


def test_week_gives_every_working_time_rule_something_to_do(week):
    new = [w for w in week.workers if w.new_starter]
    assert len(new) == 2, "two new starters"
    assert any(0 < w.contract_minutes < 2250 for w in week.workers), "a part-time worker"
    flex = [(w, f) for w in week.workers for f in w.flexible_working]
    kinds = {(f.kind, f.strength) for _, f in flex}
    assert {("earliest_start", "agreed"), ("day_off", "agreed"), ("max_minutes_per_day", "agreed")} <= kinds
    assert any(strength == "wish" for _, strength in kinds), "wishes"
    # The school-run start binds: availability starts before the agreed time.
    school = next(w for w, f in flex if f.kind == "earliest_start")
    assert any(p.start.hour * 60 + p.start.minute < 9 * 60 + 15 for p in school.availability)
    late_lone = [
        v for v in week.visits
        if v.workers_required == 1 and (v.latest_start.hour * 60 + v.latest_start.minute + v.duration_min) > 20 * 60
    ]  # fmt: skip
    assert late_lone, "lone visits that end after 20:00 need a buddy at work"
    assert week.buddies


def test_planted_plan_of_the_week_is_valid(week):
    plan = Solution.model_validate(json.loads((ROOT / "instances" / "week.plan.json").read_text()))
    report = validate(week, plan, default_rules())
    assert report.ok, [str(v) for v in report.violations][:5]
    assert report.kpis["coverage_pct"] == 100.0


@pytest.fixture(scope="module")
def default_solve(tmp_path_factory):
    """One run of the README's main command with default rules and the 30 s default limit."""
    out = tmp_path_factory.mktemp("week") / "solution.json"
    result = CliRunner().invoke(app, ["solve", str(WEEK), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return result.output, Solution.model_validate(json.loads(out.read_text()))


@pytest.mark.slow
def test_default_solve_is_valid(default_solve):
    output, sol = default_solve
    for word in ("objective", "bound", "gap"):
        assert word in output
    inst = load_instance(WEEK)
    report = validate(inst, sol, load_rules(ROOT / "constraints" / "default.yaml"))
    assert report.ok, [str(v) for v in report.violations][:5]
    assert report.objective == sol.objective
    # How many visits 30 s cover depends on the machine (observed 450 of 450 in three runs on 2 cores): see
    # the deterministic test below for the coverage.
    assert all(u.reason.startswith("needs ") for u in sol.unassigned)
    # Every team role has its holder, a different worker each, none of them a new starter.
    holders = {r.role: r.worker for r in sol.roles}
    assert sorted(holders) == sorted(r.id for r in inst.roles) and sol.unfilled_roles == []
    assert len(set(holders.values())) == len(holders)
    assert not {w.id for w in inst.workers if w.new_starter} & set(holders.values())


@pytest.mark.slow
def test_default_week_covers_every_visit_on_a_fixed_deterministic_budget(week):
    """Issues #2 and #3 with default rules, reproducibly: one CP-SAT worker and 10 of CP-SAT's
    deterministic seconds (LNS included; about 45 s of wall time here, single-threaded) cover
    every visit of the week (at least 98 % and 99 % were asked), validator clean."""
    rules = load_rules(ROOT / "constraints" / "default.yaml")
    sol = solve(week, rules, SolveParams(time_limit_s=900, workers=1, seed=0, deterministic_time=10))
    assert sol.status in ("OPTIMAL", "FEASIBLE") and sol.found_by == "cp-sat"
    report = validate(week, sol, rules)
    assert report.ok, [str(v) for v in report.violations][:5]
    assert report.objective == sol.objective
    assert sol.kpis["coverage_pct"] == 100.0
    assert sol.unassigned == [], [u.reason for u in sol.unassigned][:3]


def _solve_60(rules_file: str, tmp: Path) -> Solution:
    out = tmp / "solution.json"
    args = ["solve", str(WEEK), "--rules", str(ROOT / "constraints" / rules_file), "-t", "60", "--out", str(out), "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return Solution.model_validate(json.loads(out.read_text()))


@pytest.mark.slow
@pytest.mark.parametrize("rules_file", ["default.yaml", "strict.yaml"])
def test_60s_solve_keeps_every_working_time_rule(rules_file, week, tmp_path):
    sol = _solve_60(rules_file, tmp_path)
    report = validate(week, sol, load_rules(ROOT / "constraints" / rules_file))
    assert report.ok, [str(v) for v in report.violations][:5]
    assert report.objective == sol.objective
    # Every day over 6 h has its break, listed in the rota.
    assert sol.kpis["long_days"] == sol.kpis["breaks_given"] == len(sol.breaks)
    # No new starter alone.
    new = {w.id for w in week.workers if w.new_starter}
    assert all(set(a.workers) - new for a in sol.visits)
    # Late lone visits each have a buddy to check in with.
    assert sol.kpis["late_lone_visits"] == sol.kpis["late_lone_visits_with_buddy"] == len(sol.check_ins)
    # What 60 s cover depends on the machine, so it is not asserted here (observed on 2 cores:
    # 450 of 450 with strict.yaml and with default.yaml, one run each): the
    # deterministic tests assert it for both rule sets.
    assert all(u.reason.startswith("needs ") for u in sol.unassigned)


@pytest.mark.slow
def test_strict_week_covers_every_visit_on_a_fixed_deterministic_budget(week):
    """Issue #3's strict acceptance, reproducibly: one CP-SAT worker and a budget of 20 of
    CP-SAT's deterministic seconds (LNS included) do the same work on any machine (about 80 s of
    wall time here, single-threaded), and every visit of the week gets covered under the strict
    rule set, validator clean."""
    rules = load_rules(ROOT / "constraints" / "strict.yaml")
    params = SolveParams(time_limit_s=900, workers=1, seed=0, deterministic_time=20)
    sol = solve(week, rules, params)
    report = validate(week, sol, rules)
    assert report.ok, [str(v) for v in report.violations][:5]
    assert report.objective == sol.objective
    assert sol.unassigned == [], [u.reason for u in sol.unassigned][:3]
