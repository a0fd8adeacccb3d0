"""flexible_working: agreed arrangements (day_off, earliest_start, latest_end, max_minutes_per_day)
are hard; each wish costs ``wish_weight`` (30) per day it is broken; ``days`` limits an entry to
weekdays; ``agreed_hard=false`` makes agreed ones cost like wishes, ``wishes_hard=true`` the reverse."""

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


def flex(kind, strength="agreed", **entry):
    return {"kind": kind, "strength": strength, **entry}


def solo(*entries, visits=None, days=1, location="A", home_legs=False):
    # One worker (07:00-15:00 every day of the horizon) with the given arrangements.
    periods = [(DAY0, "07:00", "15:00"), (DAY1, "07:00", "15:00")][:days]
    return instance(
        [worker("w1", *periods, flexible_working=list(entries))],
        [client("p1", location)],
        visits or [visit("v1", "p1", "08:00")],
        days=days,
        home_legs=home_legs,
    )


def pair(*entries):
    # w1 has the arrangements and is p1's link worker (continuity rewards 10 a visit); w2 is plain.
    return instance(
        [worker("w1", flexible_working=list(entries)), worker("w2")],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "08:00")],
    )


# --- agreed arrangements are hard ----------------------------------------------------------------


def test_agreed_earliest_start_hands_the_visit_to_a_colleague():
    assert crew(run(pair(flex("earliest_start", time="09:00")))) == {"v1": ["w2"]}
    assert crew(run(pair(flex("earliest_start", time="08:00")))) == {"v1": ["w1"]}  # 08:00 is not early
    assert crew(run(pair(flex("earliest_start", time="09:00")), "flexible_working.enabled=false")) == {"v1": ["w1"]}


def test_agreed_earliest_start_moves_the_visit():
    inst = solo(flex("earliest_start", time="09:00"), visits=[visit("v1", "p1", "08:00", "09:30")])
    assert starts(run(inst))["v1"] >= "09:00"
    single = solo(flex("earliest_start", time="09:00"))  # v1 fixed at 08:00
    assert unassigned(run(single)).keys() == {"v1"}
    assert "flexible_working" in unassigned(run(single))["v1"]


def test_earliest_start_counts_the_home_leg_when_counted():
    # The client is at B, 10 minutes from home: leaving at 09:00 means starting at 09:10.
    inst = solo(
        flex("earliest_start", time="09:00"), visits=[visit("v1", "p1", "09:00", "09:30")], location="B", home_legs=True
    )
    assert starts(run(inst))["v1"] >= "09:10"
    tight = solo(
        flex("earliest_start", time="09:00"), visits=[visit("v1", "p1", "09:00", "09:05")], location="B", home_legs=True
    )
    assert unassigned(run(tight)).keys() == {"v1"}


def test_agreed_latest_end():
    # v1 (60 min) may start 11:00-12:00; finishing by 12:00 means starting at 11:00.
    inst = solo(flex("latest_end", time="12:00"), visits=[visit("v1", "p1", "11:00", "12:00", duration=60)])
    assert starts(run(inst)) == {"v1": "11:00"}
    tighter = solo(flex("latest_end", time="11:59"), visits=[visit("v1", "p1", "11:00", "12:00", duration=60)])
    assert unassigned(run(tighter)).keys() == {"v1"}  # the earliest end is 12:00


def test_agreed_day_off_by_weekday_or_date():
    two_days = [visit("v0", "p1", "08:00"), visit("v1", "p1", "08:00", day=DAY1)]
    assert unassigned(run(solo(flex("day_off", days=["tue"]), visits=two_days, days=2))).keys() == {"v1"}
    assert unassigned(run(solo(flex("day_off", date=DAY0), visits=two_days, days=2))).keys() == {"v0"}
    assert unassigned(run(solo(flex("day_off", days=["wed"]), visits=two_days, days=2))) == {}


def test_agreed_max_minutes_per_day_counts_travel():
    # 40 min at A, 10 min travel, 40 min at B: 90 working minutes.
    inst_of = lambda limit: instance(  # noqa: E731
        [worker("w1", flexible_working=[flex("max_minutes_per_day", minutes=limit)])],
        [client("p1", "A"), client("p2", "B")],
        [visit("v1", "p1", "08:00", duration=40), visit("v2", "p2", "10:00", duration=40)],
    )
    assert len(unassigned(run(inst_of(89)))) == 1
    assert unassigned(run(inst_of(90))) == {}


def test_weekday_filter():
    # DAY0 is a Monday, DAY1 a Tuesday: a Tuesday-only 09:00 earliest start leaves Monday alone.
    two_days = [visit("v0", "p1", "08:00"), visit("v1", "p1", "08:00", day=DAY1)]
    inst = solo(flex("earliest_start", time="09:00", days=["tue"]), visits=two_days, days=2)
    assert unassigned(run(inst)).keys() == {"v1"}
    every_day = solo(flex("earliest_start", time="09:00"), visits=two_days, days=2)
    assert unassigned(run(every_day)).keys() == {"v0", "v1"}


# --- wishes cost, per breached day ---------------------------------------------------------------


def test_wish_costs_per_breached_day_not_per_visit():
    two_days = [visit("v0", "p1", "08:00"), visit("v0b", "p1", "08:30"), visit("v1", "p1", "08:00", day=DAY1)]
    result = run(solo(flex("earliest_start", "wish", time="09:00"), visits=two_days, days=2))
    assert unassigned(result) == {}
    # Two days broken (two visits on Monday still one day): 2 * 30 = 60.
    assert result.solution.penalties["flexible_working"] == 60
    assert result.solution.kpis["wishes_broken"] == 2 and result.solution.kpis["wishes_kept"] == 0
    result = run(
        solo(flex("earliest_start", "wish", time="09:00"), visits=two_days, days=2), "flexible_working.wish_weight=7"
    )
    assert result.solution.penalties["flexible_working"] == 14  # 2 * 7


def test_wish_weight_against_the_link_worker_reward():
    # w1 doing v1: -10 (link reward) + 30 (wish) = 20 > 0 for w2, so w2 goes. With a wish weight of
    # 5, w1 costs -10 + 5 = -5 < 0 and keeps the visit.
    inst = pair(flex("earliest_start", "wish", time="09:00"))
    kept = run(inst)
    assert crew(kept) == {"v1": ["w2"]} and kept.solution.penalties["flexible_working"] == 0
    broken_wish = run(inst, "flexible_working.wish_weight=5")
    assert crew(broken_wish) == {"v1": ["w1"]} and broken_wish.solution.penalties["flexible_working"] == 5


def test_agreed_soft_and_wishes_hard():
    agreed = solo(flex("earliest_start", time="09:00"))
    soft = run(agreed, "flexible_working.agreed_hard=false")
    assert unassigned(soft) == {} and soft.solution.penalties["flexible_working"] == 30
    wish = solo(flex("latest_end", "wish", time="08:15"))  # v1 08:00-08:30
    assert run(wish).solution.penalties["flexible_working"] == 30
    assert unassigned(run(wish, "flexible_working.wishes_hard=true")).keys() == {"v1"}


def test_day_off_wish_costs_once():
    inst = solo(flex("day_off", "wish", days=["mon"]), visits=[visit("v1", "p1", "08:00"), visit("v2", "p1", "10:00")])
    result = run(inst)
    assert unassigned(result) == {} and result.solution.penalties["flexible_working"] == 30


# --- validator -----------------------------------------------------------------------------------


def test_validator_catches_agreed_breaches():
    inst = solo(flex("earliest_start", time="09:00"), visits=[visit("v1", "p1", "08:00", "09:30")])
    early = hand_rota(inst, {"v1": ("08:30", ["w1"])})
    report = check(inst, early)
    assert broken(report) == {"flexible_working"}
    assert "w1's agreed start no earlier than 09:00 on Mon 30 Nov" in str(report.violations[0])
    assert check(inst, hand_rota(inst, {"v1": ("09:00", ["w1"])})).ok
    soft = check(inst, early, "flexible_working.agreed_hard=false")
    assert soft.ok and soft.penalties["flexible_working"] == 30


def test_validator_charges_each_broken_wish_per_day():
    # Two wishes on Monday, both broken by a 07:30-08:30 visit: earliest 08:00 and latest end 08:15,
    # and a max-minutes wish of 60 that 60 minutes keeps: 2 * 30 = 60, charged to w1.
    inst = solo(
        flex("earliest_start", "wish", time="08:00"),
        flex("latest_end", "wish", time="08:15"),
        flex("max_minutes_per_day", "wish", minutes=60),
        visits=[visit("v1", "p1", "07:30", "09:00", duration=60)],
    )
    report = check(inst, hand_rota(inst, {"v1": ("07:30", ["w1"])}))
    assert report.ok
    assert report.penalties["flexible_working"] == 60
    assert report.cost_by_subject["flexible_working"] == {"w1": 60}
    assert (report.kpis["wishes_broken"], report.kpis["wishes_kept"]) == (2, 1)
    assert check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"])})).penalties["flexible_working"] == 30  # ends 09:00
    assert (
        check(inst, hand_rota(inst, {"v1": ("07:30", ["w1"])}), "flexible_working.wish_weight=0").penalties[
            "flexible_working"
        ]
        == 0
    )
    # The solver finds the 08:00 start cheaper than 07:30 (one broken wish instead of two).
    result = run(inst)
    assert starts(result)["v1"] >= "08:00" and result.solution.penalties["flexible_working"] == 30
