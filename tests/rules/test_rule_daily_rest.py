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


def late_then_early():
    # Day 0 ends 20:00, day 1 starts 07:00: exactly 660 minutes of rest.
    return instance(
        [worker("w1", (DAY0, "12:00", "22:00"), (DAY1, "07:00", "15:00"))],
        [client("p1")],
        [visit("v1", "p1", "19:00", duration=60), visit("v2", "p1", "07:00", day=DAY1)],
        days=2,
    )


def test_daily_rest_binds_when_longer_than_the_gap():
    assert unassigned(run(late_then_early())) == {}
    assert len(unassigned(run(late_then_early(), "daily_rest.min_minutes=720"))) == 1
    assert unassigned(run(late_then_early(), "daily_rest.min_minutes=720", "daily_rest.enabled=false")) == {}


def test_validator_catches_short_rest():
    inst = late_then_early()
    rota = hand_rota(inst, {"v1": ("2026-11-30T19:00", ["w1"]), "v2": ("2026-12-01T07:00", ["w1"])})
    assert check(inst, rota).ok
    report = check(inst, rota, "daily_rest.min_minutes=720")
    assert broken(report) == {"daily_rest"}
    assert "660 min of rest, 720 needed" in str(report.violations[0])
