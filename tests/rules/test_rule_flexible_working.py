from factory import (
    broken,
    check,
    client,
    hand_rota,
    instance,
    run,
    unassigned,
    visit,
    worker,
)


def with_flex(kind: str, strength: str = "agreed", visits=None, **entry):
    return instance(
        [worker("w1", flexible_working=[{"kind": kind, "strength": strength, **entry}])],
        [client("p1")],
        visits or [visit("v1", "p1", "08:00", "08:30")],
    )


def test_agreed_earliest_start_is_hard_and_a_wish_costs():
    assert len(unassigned(run(with_flex("earliest_start", time="09:00")))) == 1
    wished = run(with_flex("earliest_start", "wish", time="09:00"))
    assert unassigned(wished) == {} and wished.solution.penalties["flexible_working"] == 30
    soft = run(with_flex("earliest_start", time="09:00"), "flexible_working.agreed_hard=false")
    assert unassigned(soft) == {} and soft.solution.penalties["flexible_working"] == 30
    strict = run(with_flex("earliest_start", "wish", time="09:00"), "flexible_working.wishes_hard=true")
    assert len(unassigned(strict)) == 1


def test_days_filter_limits_the_arrangement_to_its_weekdays():
    # DAY0 is a Monday: a Tuesday-only arrangement does not apply.
    assert unassigned(run(with_flex("earliest_start", time="09:00", days=["tue"]))) == {}
    assert len(unassigned(run(with_flex("earliest_start", time="09:00", days=["mon"])))) == 1


def test_latest_end_day_off_and_max_minutes():
    assert len(unassigned(run(with_flex("latest_end", time="08:29")))) == 1  # ends 08:30 at the earliest
    assert unassigned(run(with_flex("latest_end", time="08:30"))) == {}
    assert len(unassigned(run(with_flex("day_off", date="2026-11-30")))) == 1
    two = [visit("v1", "p1", "08:00", duration=40), visit("v2", "p1", "10:00", duration=40)]
    assert len(unassigned(run(with_flex("max_minutes_per_day", visits=two, minutes=60)))) == 1
    assert unassigned(run(with_flex("max_minutes_per_day", visits=two, minutes=80))) == {}


def test_validator_charges_wishes_and_catches_agreed_breaches():
    inst = with_flex("latest_end", "wish", time="08:15")
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"])})  # ends 08:30
    report = check(inst, rota)
    assert report.ok and report.penalties["flexible_working"] == 30
    assert report.kpis["wishes_broken"] == 1 and report.kpis["wishes_kept"] == 0
    agreed = with_flex("latest_end", time="08:15")
    assert broken(check(agreed, hand_rota(agreed, {"v1": ("08:00", ["w1"])}))) == {"flexible_working"}
    assert check(agreed, hand_rota(agreed, {"v1": ("08:00", ["w1"])}), "flexible_working.enabled=false").ok
