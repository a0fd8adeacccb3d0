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
    unassigned,
    visit,
    worker,
)


def two_day_client(cap_workers=3):
    # Day 0 only w1 works, day 1 only w2, both days w3 is free but busy elsewhere half the time.
    return instance(
        [worker("w1", (DAY0, "07:00", "15:00")), worker("w2", (DAY1, "07:00", "15:00"))],
        [client("p1")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "08:00", day=DAY1)],
        days=2,
    )


def test_cap_on_distinct_workers_binds():
    result = run(two_day_client(), "continuity.max_distinct_workers=1")
    assert len(unassigned(result)) == 1
    assert "new face" in next(iter(unassigned(result).values()))
    assert unassigned(run(two_day_client())) == {}


def test_extra_worker_costs_and_link_worker_earns():
    result = run(two_day_client())
    assert result.solution.penalties["continuity"] == 50
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1", link_workers=["w2"])],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "11:00")],
    )
    result = run(inst)
    assert crew(result) == {"v1": ["w2"], "v2": ["w2"]}
    assert result.solution.penalties["continuity"] == -20


def test_same_worker_preferred_for_one_client():
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1"), client("p2", "B")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "11:00"), visit("v3", "p2", "09:00")],
    )
    result = run(inst)
    assert crew(result)["v1"] == crew(result)["v2"]
    result_off = run(inst, "continuity.enabled=false")
    assert result_off.solution.penalties.get("continuity") is None


def test_validator_catches_cap_breach():
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "11:00")],
    )
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("11:00", ["w2"])})
    report = check(inst, rota, "continuity.max_distinct_workers=1")
    assert broken(report) == {"continuity"}
    assert check(inst, rota).penalties["continuity"] == 50
