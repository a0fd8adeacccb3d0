from factory import (
    DAY0,
    DAY1,
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


def two_days(**kw):
    # Contract 300 + overtime 60: a 360-minute cap; the two days hold 480 minutes of visits.
    return instance(
        [worker("w1", (DAY0, "07:00", "15:00"), (DAY1, "07:00", "15:00"), contract_minutes=300, overtime_minutes=60)],
        [client("p1")],
        [visit("v1", "p1", "08:00", duration=240), visit("v2", "p1", "08:00", duration=240, day=DAY1)],
        days=2,
    )


def test_contract_plus_overtime_caps_the_week():
    assert len(unassigned(run(two_days()))) == 1
    assert unassigned(run(two_days(), "weekly_limit.contract_plus_overtime=false")) == {}
    assert (
        len(unassigned(run(two_days(), "weekly_limit.contract_plus_overtime=false", "weekly_limit.max_minutes=300")))
        == 1
    )


def test_validator_catches_a_week_over_the_cap():
    inst = two_days()
    rota = hand_rota(inst, {"v1": ("2026-11-30T08:00", ["w1"]), "v2": ("2026-12-01T08:00", ["w1"])})
    report = check(inst, rota)
    assert broken(report) == {"weekly_limit"}
    assert "contract + overtime is 360" in str(report.violations[0])
    assert check(inst, rota, "weekly_limit.enabled=false").ok
