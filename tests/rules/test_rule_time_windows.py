from factory import (
    broken,
    check,
    client,
    hand_rota,
    instance,
    run,
    starts,
    unassigned,
    visit,
    worker,
)


def week():
    # Two fixed 08:00 visits at one address and one worker: only one fits on time.
    return instance(
        [worker("w1")],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:00", duration=40)],
    )


def test_hard_windows_leave_one_visit_uncovered():
    result = run(week())
    assert list(unassigned(result)) == ["v1"]  # the shorter one is cheaper to leave out
    assert starts(result)["v2"] == "08:00"


def test_soft_windows_cover_both_with_lateness_cost():
    result = run(week(), "time_windows.hard=false")
    assert unassigned(result) == {}
    assert result.solution.penalties["time_windows"] == 30  # v2 late by v1's 30 minutes
    result = run(week(), "time_windows.hard=false", "time_windows.lateness_weight_per_minute=5")
    assert result.solution.penalties["time_windows"] == 150


def test_soft_windows_respect_max_lateness():
    result = run(week(), "time_windows.hard=false", "time_windows.max_lateness_min=10")
    assert len(unassigned(result)) == 1


def test_validator_catches_early_and_late_starts():
    inst = instance([worker("w1")], [client("p1")], [visit("v1", "p1", "08:00", "08:30"), visit("v2", "p1", "10:00")])
    report = check(inst, hand_rota(inst, {"v1": ("07:50", ["w1"]), "v2": ("10:05", ["w1"])}))
    assert broken(report) == {"time_windows"}
    assert len(report.violations) == 2


def test_validator_charges_soft_lateness():
    inst = instance([worker("w1")], [client("p1")], [visit("v1", "p1", "08:00", "08:30")])
    report = check(inst, hand_rota(inst, {"v1": ("08:45", ["w1"])}), "time_windows.hard=false")
    assert report.ok
    assert report.penalties["time_windows"] == 15


def test_largest_lateness_is_charged_once_on_top_of_the_sum():
    # Three 08:00 visits, 30 minutes each, one worker: two must be late (30 and 60 minutes).
    inst = instance(
        [worker("w1")],
        [client("p1"), client("p2"), client("p3")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "08:00"), visit("v3", "p1", "08:00")],
    )
    knobs = ("time_windows.hard=false", "time_windows.largest_lateness_weight=7")
    result = run(inst, *knobs)  # run() also checks solver objective == validator objective
    assert not unassigned(result)
    assert result.solution.penalties["time_windows"] == (30 + 60) + 7 * 60
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:45", ["w1"])}), *knobs)
    assert report.penalties["time_windows"] == 45 + 7 * 45


def test_in_ticks_a_late_start_can_be_fractional_and_costs_per_minute():
    """Resolution 100: travel of 6.25 minutes makes v2 start at 08:36:15, 1.25 minutes late."""
    from selforg_scheduler import rules_from_dict, solve_detailed, validate
    from test_rules_config import MINUTE_RULES

    inst = instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:35")],
        travel={"method": "matrix", "minutes": {"A": {"B": 1, "C": 6.25, "D": 1, "H": 0}, "B": {"C": 1, "D": 1, "H": 1},
                                                "C": {"D": 1, "H": 1}, "D": {"H": 1}}},
    )  # fmt: skip
    rules = {name: {"enabled": False} for name in MINUTE_RULES}
    rules["time_windows"] = {"hard": False, "lateness_weight_per_minute": 400}
    rules["travel"] = {"weight_per_minute": 100}
    rule_set = rules_from_dict({"resolution": 100, "rules": rules})
    from factory import FAST

    result = solve_detailed(inst, rule_set, FAST)
    assert starts(result)["v2"] == "08:36"  # shown to the minute; the rota holds 08:36:15
    sol = result.solution
    v2 = next(a for a in sol.visits if a.visit == "v2")
    assert (v2.start.second, v2.start.microsecond) == (15, 0)
    assert sol.penalties["time_windows"] == 500  # 1.25 minutes x 400
    assert sol.penalties["travel"] == 625
    report = validate(inst, sol, rule_set)
    assert report.ok and report.objective == sol.objective == result.solver_objective
    assert sol.kpis["travel_minutes"] == 6.25
    early = hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:36", ["w1"])})
    messages = [str(v) for v in validate(inst, early, rule_set).violations]
    assert any("is 6.25 min away" in m for m in messages), messages  # minutes, not ticks
