"""fairness (soft): unsociable visits (start before 08:00, end after 20:00, or Saturday/Sunday) are
shared in proportion to contract minutes. For contracted workers (C = sum of contracts, U = all their
unsociable visits) d_w = ceil(|n_w - U c_w / C|) and ``cost = weight * max d_w + sum_weight * sum d_w``."""

from datetime import date, timedelta

from factory import DAY0, check, client, crew, hand_rota, instance, run, visit, worker

DAYS = [(date(2026, 11, 30) + timedelta(days=d)).isoformat() for d in range(7)]


def trio():
    # Contracts 2400 / 1600 / 800 (3:2:1, C = 4800) and a contract-free w4. Three 15-minute early visits
    # (07:00, 07:15, 07:30 at distinct clients, all at A) and one at 10:00, which is sociable.
    return instance(
        [
            worker("w1", contract_minutes=2400),
            worker("w2", contract_minutes=1600),
            worker("w3", contract_minutes=800),
            worker("w4", contract_minutes=0),
        ],
        [client(f"p{i}") for i in range(1, 6)],
        [
            visit("e1", "p1", "07:00", duration=15),
            visit("e2", "p2", "07:15", duration=15),
            visit("e3", "p3", "07:30", duration=15),
            visit("e4", "p4", "07:45", duration=10),
            visit("s1", "p5", "10:00", duration=15),
        ],
    )


def rota_for(inst, who):
    times = {"e1": "07:00", "e2": "07:15", "e3": "07:30", "e4": "07:45", "s1": "10:00"}
    return hand_rota(inst, {v: (times[v], [w]) for v, w in who.items()})


def test_cost_by_hand_three_workers():
    inst = trio()
    # n = (2, 1, 0), U = 3, shares U*c/C = 1.5, 1, 0.5: d = ceil(.5), ceil(0), ceil(.5) = 1, 0, 1.
    # cost = 10 * max(1, 0, 1) + 1 * (1 + 0 + 1) = 12. s1 (10:00) is sociable and does not count.
    report = check(inst, rota_for(inst, {"e1": "w1", "e2": "w1", "e3": "w2", "s1": "w3"}))
    assert report.ok
    assert report.penalties["fairness"] == 12
    assert report.cost_by_subject["fairness"] == {"team": 10, "w1": 1, "w3": 1}
    assert report.kpis["unsociable_visits"] == {"w1": 2, "w2": 1, "w3": 0}
    assert report.kpis["unsociable_spread"] == 0.5
    # n = (0, 0, 3): d = ceil(1.5), ceil(1), ceil(2.5) = 2, 1, 3: cost = 10 * 3 + (2 + 1 + 3) = 36.
    report = check(inst, rota_for(inst, {"e1": "w3", "e2": "w3", "e3": "w3"}))
    assert report.penalties["fairness"] == 36
    # n = (3, 0, 0): d = ceil(1.5), ceil(1), ceil(.5) = 2, 1, 1: cost = 10 * 2 + (2 + 1 + 1) = 24.
    report = check(inst, rota_for(inst, {"e1": "w1", "e2": "w1", "e3": "w1"}))
    assert report.penalties["fairness"] == 24
    # Knobs: weight 0 and sum_weight 4 on the same rota: 0 * 2 + 4 * (2 + 1 + 1) = 16.
    assert (
        check(
            inst, rota_for(inst, {"e1": "w1", "e2": "w1", "e3": "w1"}), "fairness.weight=0", "fairness.sum_weight=4"
        ).penalties["fairness"]
        == 16
    )


def test_contract_free_workers_are_outside_the_team():
    inst = trio()
    # As the first case plus e4 done by w4 (no contract): U stays 3, cost stays 12.
    report = check(inst, rota_for(inst, {"e1": "w1", "e2": "w1", "e3": "w2", "e4": "w4"}))
    assert report.penalties["fairness"] == 12
    assert "w4" not in report.kpis["unsociable_visits"]


def test_rounding_up_with_uneven_shares():
    # Contracts 2000 / 1000, two early visits: shares 4/3 and 2/3.
    #   n = (1, 1): d = ceil(1/3), ceil(1/3) = 1, 1 -> 10 + 2 = 12
    #   n = (2, 0): d = ceil(2/3), ceil(2/3) = 1, 1 -> 12
    #   n = (0, 2): d = ceil(4/3), ceil(4/3) = 2, 2 -> 20 + 4 = 24
    inst = instance(
        [worker("w1", contract_minutes=2000), worker("w2", contract_minutes=1000)],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "07:00"), visit("v2", "p2", "07:30")],
    )
    rota = lambda a, b: hand_rota(inst, {"v1": ("07:00", [a]), "v2": ("07:30", [b])})  # noqa: E731
    assert check(inst, rota("w1", "w2")).penalties["fairness"] == 12
    assert check(inst, rota("w1", "w1")).penalties["fairness"] == 12
    assert check(inst, rota("w2", "w2")).penalties["fairness"] == 24
    result = run(inst)
    assert result.solution.penalties["fairness"] == 12 and "w1" in sum(crew(result).values(), [])


def test_solver_spreads_in_proportion_to_contracts():
    # Contracts 2400:800 = 3:1 and four 10-minute early visits anyone could do alone: 3 to w1 and 1 to w2 is
    # the only spread costing 0 ((4, 0) and (2, 2) both cost 10 + 2 = 12). Other costs are flat:
    # one address, distinct clients, both workers under contract whatever happens.
    inst = instance(
        [worker("w1", contract_minutes=2400), worker("w2", contract_minutes=800)],
        [client(f"p{i}") for i in range(4)],
        [visit(f"v{i}", f"p{i}", f"07:{10 * i:02d}", duration=10) for i in range(4)],
    )
    result = run(inst)
    counts = {w: sum(ws == [w] for ws in crew(result).values()) for w in ("w1", "w2")}
    assert counts == {"w1": 3, "w2": 1}
    assert result.solution.penalties["fairness"] == 0
    assert result.solution.kpis["unsociable_visits"] == {"w1": 3, "w2": 1}


def weekend_pair():
    # Two Saturday 12:00 visits to one client; equal contracts. Continuity charges 50 for a second
    # worker; fairness charges 10 * 1 + (1 + 1) = 12 when one worker does both.
    sat = DAYS[5]
    return instance(
        [worker(w, (sat, "07:00", "15:00"), contract_minutes=2000) for w in ("w1", "w2")],
        [client("p1")],
        [visit("v1", "p1", "09:00", day=sat), visit("v2", "p1", "12:00", day=sat)],
        days=7,
    )


def test_weekends_are_unsociable_and_weights_decide_against_continuity():
    result = run(weekend_pair())
    assert crew(result)["v1"] == crew(result)["v2"]  # 12 < 50
    assert result.solution.penalties["fairness"] == 12
    heavy = run(weekend_pair(), "fairness.weight=100")  # 100 + 2 = 102 > 50: split
    assert crew(heavy)["v1"] != crew(heavy)["v2"]
    assert heavy.solution.penalties["fairness"] == 0 and heavy.solution.penalties["continuity"] == 50
    calm = run(weekend_pair(), "fairness.weight=100", "fairness.weekends=false")
    assert crew(calm)["v1"] == crew(calm)["v2"] and calm.solution.penalties["fairness"] == 0
    off = run(weekend_pair(), "fairness.weight=100", "fairness.enabled=false")
    assert crew(off)["v1"] == crew(off)["v2"] and "fairness" not in off.solution.penalties


def test_edges_of_the_day():
    inst = instance(
        [
            worker("w1", (DAY0, "07:00", "22:00"), contract_minutes=2000),
            worker("w2", (DAY0, "07:00", "22:00"), contract_minutes=2000),
        ],
        [client("p1")],
        [
            visit("early", "p1", "07:59"),
            visit("on8", "p1", "08:00"),
            visit("to20", "p1", "19:30"),
            visit("late", "p1", "19:31"),
        ],
        buddies=[["w1", "w2"]],
    )
    rota = hand_rota(
        inst,
        {"early": ("07:59", ["w1"]), "on8": ("08:30", ["w1"]), "to20": ("19:30", ["w1"]), "late": ("19:31", ["w2"])},
    )
    # early starts before 08:00 and late ends 20:01: unsociable; 08:30 and 19:30-20:00 are not.
    assert check(inst, rota).kpis["unsociable_visits"] == {"w1": 1, "w2": 1}
    assert check(inst, rota, "fairness.early_before=07:00", "fairness.late_after=21:00").kpis["unsociable_visits"] == {
        "w1": 0,
        "w2": 0,
    }
    assert check(inst, rota, "fairness.early_before=09:00").kpis["unsociable_visits"] == {"w1": 2, "w2": 1}


def test_a_team_of_one_is_not_charged():
    inst = instance(
        [worker("w1", contract_minutes=2000), worker("w2", contract_minutes=0)],
        [client("p1"), client("p2")],
        [visit("v1", "p1", "07:00"), visit("v2", "p2", "07:30")],
    )
    report = check(inst, hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("07:30", ["w1"])}))
    assert report.penalties["fairness"] == 0
    assert run(inst).solution.penalties["fairness"] == 0
