"""daily_rest: between the last end of one working day and the first start of the next a worker has
``min_minutes`` (660) of rest; home legs count when the instance counts them."""

from factory import (
    DAY0,
    DAY1,
    broken,
    check,
    client,
    crew,
    hand_rota,
    instance,
    run,
    starts,
    unassigned,
    visit,
    worker,
)

DAY2 = "2026-12-02"


def evening_then_morning(v2_latest: str = "07:00", location: str = "A", home_legs: bool = False, extra=()):
    # w1 does a 20:00-21:00 visit on day 0 (alone after 20:00, so the buddy w2 is available until
    # 21:30 and p1 excludes w2). Day 1 has a 30-minute visit at p2 from 07:00: 21:00 -> 07:00 is
    # 600 minutes of rest, 60 short of 660.
    return instance(
        [
            worker("w1", (DAY0, "12:00", "22:00"), (DAY1, "06:00", "15:00")),
            worker("w2", (DAY0, "12:00", "21:30")),
            *extra,
        ],
        [client("p1", location, excluded_workers=["w2"]), client("p2", location)],
        [visit("v1", "p1", "20:00", duration=60), visit("v2", "p2", "07:00", v2_latest, day=DAY1)],
        days=2,
        home_legs=home_legs,
        buddies=[["w1", "w2"]],
    )


def test_ending_at_21_rules_out_a_07_start():
    result = run(evening_then_morning())
    assert unassigned(result).keys() == {"v2"}  # coverage keeps the longer v1
    assert "daily_rest" in unassigned(result)["v2"]


def test_the_next_day_starts_later_instead():
    # With a window to 08:30 the first start moves to 21:00 + 11 h = 08:00.
    result = run(evening_then_morning("08:30"))
    assert unassigned(result) == {}
    assert starts(result)["v2"] >= "08:00"


def test_a_colleague_takes_the_morning():
    w3 = worker("w3", (DAY1, "06:00", "15:00"))
    result = run(evening_then_morning(extra=[w3]))
    assert crew(result) == {"v1": ["w1"], "v2": ["w3"]}


def test_knob_and_switch():
    assert unassigned(run(evening_then_morning(), "daily_rest.min_minutes=600")) == {}
    assert len(unassigned(run(evening_then_morning(), "daily_rest.min_minutes=601"))) == 1
    assert unassigned(run(evening_then_morning(), "daily_rest.enabled=false")) == {}


def test_home_legs_shorten_the_rest():
    # Both clients at B, 10 from home: the day ends 21:10 (home) and the next may start (leave home)
    # at 08:10, so the visit starts 08:20 at the earliest; a window closing 08:10 is too early.
    assert unassigned(run(evening_then_morning("08:30", location="B", home_legs=True))) == {}
    assert starts(run(evening_then_morning("08:30", location="B", home_legs=True)))["v2"] >= "08:20"
    assert unassigned(run(evening_then_morning("08:10", location="B", home_legs=True))).keys() == {"v2"}
    assert unassigned(run(evening_then_morning("08:10", location="B", home_legs=False))) == {}


def test_validator_catches_short_rest_and_passes_enough():
    inst = evening_then_morning("08:30")
    short = hand_rota(inst, {"v1": (f"{DAY0}T20:00", ["w1"]), "v2": (f"{DAY1}T07:00", ["w1"])})
    report = check(inst, short)
    assert broken(report) == {"daily_rest"}
    assert "600 min of rest, 660 needed" in str(report.violations[0])
    enough = hand_rota(inst, {"v1": (f"{DAY0}T20:00", ["w1"]), "v2": (f"{DAY1}T08:00", ["w1"])})
    assert check(inst, enough).ok  # exactly 660
    one_short = hand_rota(inst, {"v1": (f"{DAY0}T20:00", ["w1"]), "v2": (f"{DAY1}T07:59", ["w1"])})
    assert broken(check(inst, one_short)) == {"daily_rest"}
    assert check(inst, short, "daily_rest.enabled=false").ok


def test_validator_measures_between_consecutive_working_days_only():
    # Day 0 ends 21:00, day 1 off, day 2 starts 07:00: 34 h of rest.
    inst = instance(
        [worker("w1", (DAY0, "12:00", "22:00"), (DAY2, "06:00", "15:00")), worker("w2", (DAY0, "12:00", "21:30"))],
        [client("p1", excluded_workers=["w2"])],
        [visit("v1", "p1", "20:00", duration=60), visit("v2", "p1", "07:00", day=DAY2)],
        days=3,
        buddies=[["w1", "w2"]],
    )
    rota = hand_rota(inst, {"v1": (f"{DAY0}T20:00", ["w1"]), "v2": (f"{DAY2}T07:00", ["w1"])})
    assert check(inst, rota).ok
    assert broken(check(inst, rota, "daily_rest.min_minutes=2041")) == {"daily_rest"}  # 34 h = 2040
    assert unassigned(run(inst)) == {}
