"""weekly_limit: per worker and 7-day block, working minutes <= min(max_minutes, contract + overtime)
(contract + overtime only for a worker with a contract and while ``contract_plus_overtime``)."""

from datetime import date, timedelta

from factory import (
    broken,
    check,
    client,
    crew,
    hand_rota,
    instance,
    run,
    unassigned,
    visit,
    worker,
)

DAYS = [(date(2026, 11, 30) + timedelta(days=d)).isoformat() for d in range(8)]


def week(on_days=(0, 1), horizon=2, workers=None, **kw):
    # One 240-minute visit at 08:00 on each of ``on_days``; 480 minutes over two days.
    w1 = worker("w1", *((d, "07:00", "15:00") for d in DAYS[:horizon]), **kw)
    return instance(
        workers or [w1],
        [client("p1")],
        [visit(f"v{d}", "p1", "08:00", duration=240, day=DAYS[d]) for d in on_days],
        days=horizon,
    )


def test_contract_plus_overtime_binds():
    # 300 + 60 = 360 < 480: only one of the two 240-minute visits fits.
    result = run(week(contract_minutes=300, overtime_minutes=60))
    assert len(unassigned(result)) == 1
    assert "weekly_limit" in next(iter(unassigned(result).values()))
    # 300 + 180 = 480: both fit exactly.
    assert unassigned(run(week(contract_minutes=300, overtime_minutes=180))) == {}


def test_lifting_the_contract_cap_or_the_rule():
    inst = week(contract_minutes=300, overtime_minutes=60)
    assert unassigned(run(inst, "weekly_limit.contract_plus_overtime=false")) == {}  # legal 2880 only
    assert unassigned(run(inst, "weekly_limit.enabled=false")) == {}


def test_no_contract_means_the_legal_cap_only():
    inst = week(contract_minutes=0)
    assert unassigned(run(inst)) == {}
    result = run(inst, "weekly_limit.max_minutes=479")
    assert len(unassigned(result)) == 1
    # The legal cap also wins when it is below contract + overtime (300 + 600 = 900 > 400).
    assert len(unassigned(run(week(contract_minutes=300, overtime_minutes=600), "weekly_limit.max_minutes=400"))) == 1


def test_capped_workers_split_a_client():
    # Both workers are capped at 240 (contract 240, no overtime): continuity would keep one worker on
    # p1 (a second costs 50), but neither can do both days.
    both = [
        worker(w, (DAYS[0], "07:00", "15:00"), (DAYS[1], "07:00", "15:00"), contract_minutes=240) for w in ("w1", "w2")
    ]
    split = run(week(workers=both))
    assert unassigned(split) == {} and crew(split)["v0"] != crew(split)["v1"]
    assert split.solution.penalties["continuity"] == 50
    # Without the contract cap (and without contract_hours, which also likes the split) one
    # worker keeps the client.
    together = run(week(workers=both), "weekly_limit.contract_plus_overtime=false", "contract_hours.enabled=false")
    assert crew(together)["v0"] == crew(together)["v1"]


def test_each_seven_day_block_has_its_own_cap():
    # An 8-day horizon: days 0-6 are week 1, day 7 is week 2. With a 360 cap, days 0 and 6 share a
    # block (480 > 360) but days 0 and 7 do not.
    same = week(on_days=(0, 6), horizon=8, contract_minutes=300, overtime_minutes=60)
    assert len(unassigned(run(same))) == 1
    apart = week(on_days=(0, 7), horizon=8, contract_minutes=300, overtime_minutes=60)
    assert unassigned(run(apart)) == {}


def test_validator_catches_a_week_over_the_cap():
    inst = week(contract_minutes=300, overtime_minutes=60)
    both = hand_rota(inst, {"v0": (f"{DAYS[0]}T08:00", ["w1"]), "v1": (f"{DAYS[1]}T08:00", ["w1"])})
    report = check(inst, both)
    assert broken(report) == {"weekly_limit"}
    assert "works 480 min; contract + overtime is 360" in str(report.violations[0])
    assert check(inst, both, "weekly_limit.contract_plus_overtime=false").ok
    one = hand_rota(inst, {"v0": (f"{DAYS[0]}T08:00", ["w1"])})
    assert check(inst, one).ok
    legal = check(inst, both, "weekly_limit.contract_plus_overtime=false", "weekly_limit.max_minutes=479")
    assert broken(legal) == {"weekly_limit"} and "the legal limit is 479" in str(legal.violations[0])


def test_validator_names_the_week_on_long_horizons():
    inst = week(on_days=(7,), horizon=8, contract_minutes=100)
    rota = hand_rota(inst, {"v7": (f"{DAYS[7]}T08:00", ["w1"])})
    report = check(inst, rota)
    assert broken(report) == {"weekly_limit"}
    assert "in week 2" in str(report.violations[0])
