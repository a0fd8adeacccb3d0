from factory import DAY0, check, client, crew, hand_rota, instance, run, visit, worker


def early_pair(c1=2000, c2=2000):
    # Two 07:00 / 07:30 visits (before 08:00: unsociable) at one address, two workers.
    return instance(
        [worker("w1", contract_minutes=c1), worker("w2", contract_minutes=c2)],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "07:00"), visit("v2", "p2", "07:30")],
    )


def test_unsociable_visits_are_shared():
    result = run(early_pair())
    assert sorted(ws[0] for ws in crew(result).values()) == ["w1", "w2"]
    assert result.solution.penalties["fairness"] == 0


def test_cost_is_weight_times_max_plus_sum_of_rounded_deviations():
    inst = early_pair()
    one_does_both = hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("07:30", ["w1"])})
    report = check(inst, one_does_both)
    # U = 2, shares 1 and 1; deviations |2-1| = 1 and |0-1| = 1: 10 * 1 + 1 * (1 + 1) = 12.
    assert report.penalties["fairness"] == 12
    assert report.kpis["unsociable_visits"] == {"w1": 2, "w2": 0}
    assert report.kpis["unsociable_spread"] == 1.0
    assert check(inst, one_does_both, "fairness.weight=0", "fairness.sum_weight=5").penalties["fairness"] == 10


def test_shares_follow_contract_minutes():
    # Contracts 2:1 and three early visits: shares 2 and 1, so w1 takes two and w2 one.
    inst = instance(
        [worker("w1", contract_minutes=2000), worker("w2", contract_minutes=1000)],
        [client("p1"), client("p2"), client("p3")],
        [visit("v1", "p1", "07:00"), visit("v2", "p2", "07:00"), visit("v3", "p3", "07:30")],
    )
    result = run(inst, "contract_hours.enabled=false")
    counts = {"w1": 0, "w2": 0}
    for ws in crew(result).values():
        counts[ws[0]] += 1
    assert counts == {"w1": 2, "w2": 1}
    assert result.solution.penalties["fairness"] == 0


def test_late_visits_are_unsociable_and_the_edge_is_a_knob():
    inst = instance(
        [worker("w1", (DAY0, "14:00", "22:00"), contract_minutes=2000), worker("w2", contract_minutes=2000)],
        [client("p1")],
        [visit("v1", "p1", "19:45")],  # ends 20:15
        buddies=[["w1", "w2"]],
    )
    rota = hand_rota(inst, {"v1": ("19:45", ["w1"])})
    assert check(inst, rota).kpis["unsociable_visits"] == {"w1": 1, "w2": 0}
    assert check(inst, rota, "fairness.late_after=21:00").kpis["unsociable_visits"] == {"w1": 0, "w2": 0}
