"""contract_hours (soft): per worker with a contract and target ``round(contract_minutes * days / 7)``,
``weight_per_minute * max(0, target - care) + over_weight_per_minute * max(0, working - target)``:
care is visits and roles, working adds travel; workers with contract 0 are not charged."""

from factory import (
    DAY0,
    DAY1,
    check,
    client,
    crew,
    hand_rota,
    instance,
    run,
    visit,
    worker,
)


def one_visit(contract, days=1, location="A", home_legs=False, duration=30):
    periods = [(DAY0, "07:00", "15:00"), (DAY1, "07:00", "15:00")][:days]
    return instance(
        [worker("w1", *periods, contract_minutes=contract)],
        [client("p1", location)],
        [visit("v1", "p1", "09:00", duration=duration)],
        days=days,
        home_legs=home_legs,
    )


def test_target_is_the_weekly_contract_scaled_to_the_horizon_and_rounded():
    # 2000 * 1 / 7 = 285.71 -> 286; one 30-minute visit: |30 - 286| = 256.
    result = run(one_visit(2000))
    assert result.solution.penalties["contract_hours"] == 256
    assert result.solution.kpis["minutes_vs_contract"] == {"w1": -256}
    # 2000 * 2 / 7 = 571.43 -> 571: |30 - 571| = 541.
    assert run(one_visit(2000, days=2)).solution.penalties["contract_hours"] == 541
    # 2004 * 1 / 7 = 286.29 -> 286 (rounded, not ceiled): 256 again.
    assert run(one_visit(2004)).solution.penalties["contract_hours"] == 256


def test_over_contract_costs_too():
    # Contract 140 -> target 20 a day; a 30-minute visit is 10 over.
    assert run(one_visit(140)).solution.penalties["contract_hours"] == 10


def test_weight_and_switch():
    assert run(one_visit(2000), "contract_hours.weight_per_minute=3").solution.penalties["contract_hours"] == 3 * 256
    assert run(one_visit(2000), "contract_hours.weight_per_minute=0").solution.penalties["contract_hours"] == 0
    assert "contract_hours" not in run(one_visit(2000), "contract_hours.enabled=false").solution.penalties


def test_travel_does_not_fill_the_contract_but_counts_as_overtime():
    # At B, 10 from home: 10 + 30 + 10 = 50 working minutes, 30 of care. Under contract (target
    # 286) the shortfall is of care: 286 - 30 = 256, home legs or not.
    assert run(one_visit(2000, location="B", home_legs=True)).solution.penalties["contract_hours"] == 256
    assert run(one_visit(2000, location="B")).solution.penalties["contract_hours"] == 256
    # The old reading (travel fills the contract): |50 - 286| = 236.
    reading = "contract_hours.under_counts=working"
    assert run(one_visit(2000, location="B", home_legs=True), reading).solution.penalties["contract_hours"] == 236
    # Over contract (target 20), travel is paid time: 50 - 20 = 30 over; without home legs 30 - 20.
    assert run(one_visit(140, location="B", home_legs=True)).solution.penalties["contract_hours"] == 30
    assert run(one_visit(140, location="B")).solution.penalties["contract_hours"] == 10


def test_under_and_over_have_their_own_weights():
    assert run(one_visit(140), "contract_hours.over_weight_per_minute=5").solution.penalties["contract_hours"] == 50
    assert run(one_visit(140), "contract_hours.weight_per_minute=3").solution.penalties["contract_hours"] == 30
    over_free = ("contract_hours.weight_per_minute=3", "contract_hours.over_weight_per_minute=0")
    assert run(one_visit(140), *over_free).solution.penalties["contract_hours"] == 0
    assert run(one_visit(2000), *over_free).solution.penalties["contract_hours"] == 3 * 256


def test_a_minute_of_travel_is_never_free_for_a_worker_under_contract():
    # The same two visits, with the second client at the first's address (A) or 10 minutes away
    # (B): the rota with travel costs 10 more in all, not 0 (travel and contract no longer cancel).
    def objective(location: str, *overrides: str) -> float:
        inst = instance(
            [worker("w1", contract_minutes=2000)],
            [client("p1"), client("p2", location)],
            [visit("v1", "p1", "08:00"), visit("v2", "p2", "10:00")],
        )
        report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("10:00", ["w1"])}), *overrides)
        assert report.ok
        return report.objective

    assert objective("B") - objective("A") == 10
    assert (
        objective("B", "contract_hours.under_counts=working") - objective("A", "contract_hours.under_counts=working")
        == 0
    )


def test_no_contract_no_charge():
    result = run(one_visit(0))
    assert result.solution.penalties["contract_hours"] == 0
    assert result.solution.kpis["minutes_vs_contract"] == {}


def test_work_goes_where_it_costs_least():
    # Targets: w1 700/7 = 100, w2 1400/7 = 200. v1 120 min, v2 90 min (same address, no travel).
    #   w1 v1, w2 v2: |120-100| + |90-200| = 20 + 110 = 130
    #   w1 v2, w2 v1: |90-100| + |120-200| = 10 + 80 = 90   <- best
    #   w2 both:      |0-100| + |210-200| = 100 + 10 = 110
    #   w1 both:      |210-100| + |0-200| = 110 + 200 = 310
    inst = instance(
        [worker("w1", contract_minutes=700), worker("w2", contract_minutes=1400)],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00", duration=120), visit("v2", "p2", "11:00", duration=90)],
    )
    result = run(inst)
    assert crew(result) == {"v1": ["w2"], "v2": ["w1"]}
    assert result.solution.penalties["contract_hours"] == 90
    assert result.solution.kpis["minutes_vs_contract"] == {"w1": -10, "w2": -80}


def test_uncontracted_worker_takes_work_off_an_over_contract_one():
    # w1's target is 20 (contract 140); w2 has no contract. Giving the 30-minute visit to w1 costs
    # |30 - 20| = 10, to w2 |0 - 20| = 20 (w1 under) and nothing for w2: w1 is cheaper.
    # With a 60-minute visit: w1 |60 - 20| = 40, w2 20: w2 is cheaper.
    def inst(duration):
        return instance(
            [worker("w1", contract_minutes=140), worker("w2", contract_minutes=0)],
            [client("p1")],
            [visit("v1", "p1", "09:00", duration=duration)],
        )

    short = run(inst(30))
    assert crew(short) == {"v1": ["w1"]} and short.solution.penalties["contract_hours"] == 10
    long = run(inst(60))
    assert crew(long) == {"v1": ["w2"]} and long.solution.penalties["contract_hours"] == 20


def test_validator_charges_each_worker():
    inst = instance(
        [worker("w1", contract_minutes=700), worker("w2", contract_minutes=1400), worker("w3", contract_minutes=0)],
        [client("p1"), client("p2", "B")],
        [visit("v1", "p1", "08:00", duration=120), visit("v2", "p2", "11:00", duration=90)],
    )
    # w1 does both: 120 + 10 travel + 90 = 220, |220 - 100| = 120; w2 nothing, |0 - 200| = 200.
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("11:00", ["w1"])}))
    assert report.ok
    assert report.cost_by_subject["contract_hours"] == {"w1": 120, "w2": 200}
    assert report.penalties["contract_hours"] == 320
    # w3 (no contract) does both: w1 and w2 are charged their whole targets, w3 nothing.
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w3"]), "v2": ("11:00", ["w3"])}))
    assert report.cost_by_subject["contract_hours"] == {"w1": 100, "w2": 200}
    assert check(inst, hand_rota(inst, {}), "contract_hours.weight_per_minute=2").penalties["contract_hours"] == 600
