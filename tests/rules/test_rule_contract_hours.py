from factory import check, client, crew, hand_rota, instance, run, visit, worker


def test_minutes_under_contract_cost():
    # One day of a 700-minute week: target round(700 / 7) = 100; a 30-minute visit is 70 under.
    inst = instance([worker("w1", contract_minutes=700)], [client("p1")], [visit("v1", "p1", "08:00")])
    result = run(inst)
    assert result.solution.penalties["contract_hours"] == 70
    assert result.solution.kpis["minutes_vs_contract"] == {"w1": -70}
    assert run(inst, "contract_hours.weight_per_minute=3").solution.penalties["contract_hours"] == 210


def test_no_contract_no_charge():
    inst = instance([worker("w1", contract_minutes=0)], [client("p1")], [visit("v1", "p1", "08:00")])
    assert run(inst).solution.penalties["contract_hours"] == 0


def test_work_goes_where_the_contract_has_room():
    # Targets 60 (w1) and 30 (w2) minutes: the 60-minute visit to w1 and the 30 to w2 cost 0.
    inst = instance(
        [worker("w1", contract_minutes=420), worker("w2", contract_minutes=210)],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "08:00", duration=60), visit("v2", "p2", "10:00", duration=30)],
    )
    result = run(inst, "fairness.enabled=false")
    assert crew(result) == {"v1": ["w1"], "v2": ["w2"]}
    assert result.solution.penalties["contract_hours"] == 0
    swapped = hand_rota(inst, {"v1": ("08:00", ["w2"]), "v2": ("10:00", ["w1"])})
    assert check(inst, swapped).penalties["contract_hours"] == 30 + 30  # |30-60| + |60-30|
