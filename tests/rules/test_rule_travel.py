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
    # A -> C is 20 minutes; v2 must start by 08:40, so one worker cannot do both with travel.
    return instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:30", "08:40")],
    )


def test_room_for_travel_between_visits():
    assert len(unassigned(run(week()))) == 1


def test_switching_travel_off_fits_both():
    result = run(week(), "travel.enabled=false")
    assert unassigned(result) == {}


def test_travel_minutes_cost_and_weight():
    inst = instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "09:00")],
    )
    assert run(inst).solution.penalties["travel"] == 20
    assert run(inst, "travel.weight_per_minute=3").solution.penalties["travel"] == 60
    assert run(inst).solution.kpis["travel_minutes"] == 20


def test_travel_is_minimised_by_visit_order():
    # B is between A and C: A, B, C is 20 minutes; any other order is longer.
    inst = instance(
        [worker("w1")],
        [client("pa", "A"), client("pb", "B"), client("pc", "C")],
        [visit("va", "pa", "08:00", "11:00"), visit("vb", "pb", "08:00", "11:00"), visit("vc", "pc", "08:00", "11:00")],
    )
    result = run(inst)
    assert result.solution.penalties["travel"] == 20
    assert result.solution.status == "OPTIMAL"


def test_validator_catches_too_little_travel_time():
    inst = week()
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:35", ["w1"])}))
    assert broken(report) == {"travel"}
    assert "20 min away" in report.violations[0].message


def test_validator_catches_overlapping_visits_as_core_overlap():
    inst = week()
    report = check(
        inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:10", ["w1"])}), "time_windows.enabled=false"
    )
    assert "overlap" in broken(report)


def test_fractional_travel_takes_whole_minutes_but_is_priced_exactly():
    # A matrix travel of 6.25 minutes each way: time rounds it up to 7, cost is ceil(weight x 6.25).
    inst = instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:30", "09:00")],
        travel={"method": "matrix", "minutes": {"A": {"B": 1, "C": 6.25, "D": 1, "H": 0}, "B": {"C": 1, "D": 1, "H": 1},
                                                "C": {"D": 1, "H": 1}, "D": {"H": 1}}},
    )  # fmt: skip
    result = run(inst)
    assert starts(result) == {"v1": "08:00", "v2": "08:37"}  # 08:30 + 7 minutes, the earliest fit
    assert result.solution.penalties["travel"] == 7
    assert run(inst, "travel.weight_per_minute=100").solution.penalties["travel"] == 625
    late = hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:36", ["w1"])})
    report = check(inst, late, "travel.weight_per_minute=4")
    assert broken(report) == {"travel"}  # 6 minutes after v1 ends: less than the travel (rounded up)
    assert report.penalties["travel"] == 25
