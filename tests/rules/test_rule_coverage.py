from factory import (
    FAST,
    broken,
    check,
    client,
    hand_rota,
    instance,
    rules,
    run,
    unassigned,
    visit,
    worker,
)
from selforg_scheduler import solve_detailed


def week():
    # w1 alone can do v1 and v2 but not v3 (it overlaps v2 and is 20 minutes away).
    return instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "09:00"), visit("v3", "p2", "09:10", duration=45)],
    )


def test_soft_coverage_leaves_the_cheapest_visit_out_with_a_reason():
    result = run(week())
    # v3 is 45 minutes: leaving out the 30-minute v2 instead costs less.
    left = unassigned(result)
    assert set(left) == {"v2"}
    assert result.solution.penalties["coverage"] == 1000 * 30
    assert "w1 is busy with v3" in left["v2"]


def test_uncovered_visit_costs_weight_per_minute():
    result = run(week(), "coverage.weight_per_minute=10")
    assert result.solution.penalties["coverage"] == 300


def test_hard_coverage_makes_the_week_infeasible_and_still_returns_a_rota():
    result = solve_detailed(week(), rules("coverage.hard=true"), FAST)
    assert result.solution.status == "INFEASIBLE"
    assert result.solution.found_by == "greedy"
    assert len(result.solution.visits) + len(result.solution.unassigned) == 3
    assert all(u.reason for u in result.solution.unassigned)


def test_validator_catches_a_visit_missing_from_both_lists():
    inst = week()
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"])})
    rota.unassigned = [u for u in rota.unassigned if u.visit != "v3"]
    report = check(inst, rota)
    assert "coverage" in broken(report)
    assert any("v3 is neither" in v.message for v in report.violations)


def test_validator_catches_a_double_up_with_one_worker():
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1")],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"])}))
    assert any(v.rule == "coverage" and "needs 2" in v.message for v in report.violations)


def test_validator_charges_uncovered_minutes():
    inst = week()
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("09:00", ["w1"])}))
    assert report.ok
    assert report.penalties["coverage"] == 45 * 1000
