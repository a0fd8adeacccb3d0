from factory import broken, check, client, hand_rota, instance, run, starts, unassigned, visit, worker


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
