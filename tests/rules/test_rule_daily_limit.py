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


def long_day():
    # 300 + 120 = 420 working minutes at one address (no travel).
    return instance(
        [worker("w1")],
        [client("p1")],
        [visit("v1", "p1", "07:00", duration=300), visit("v2", "p1", "12:30", duration=120)],
    )


def test_daily_limit_binds_and_can_be_lifted():
    assert len(unassigned(run(long_day(), "daily_limit.max_minutes=400"))) == 1
    assert unassigned(run(long_day())) == {}
    assert unassigned(run(long_day(), "daily_limit.max_minutes=400", "daily_limit.enabled=false")) == {}


def test_reason_names_the_rule():
    reason = next(iter(unassigned(run(long_day(), "daily_limit.max_minutes=400")).values()))
    assert "daily_limit" in reason


def test_validator_catches_a_long_day():
    inst = long_day()
    rota = hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("12:30", ["w1"])})
    assert broken(check(inst, rota, "daily_limit.max_minutes=400", "breaks.enabled=false")) == {"daily_limit"}
    assert check(inst, rota, "breaks.enabled=false").ok
