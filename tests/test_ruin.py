"""Ruin and recreate on the greedy rota (``selforg_scheduler.search.ruin``)."""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from pathlib import Path

import pytest

import selforg_scheduler.pipeline.solve as solver_module
import selforg_scheduler.search.ruin as ruin_module
from factory import DAY0, client, instance, rules, visit, worker
from selforg_scheduler.contract.io import instance_from_dict, load_instance
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.cpsat.run import RawRota
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.datasets.mankowska import (
    benchmark_violations,
    read_mankowska,
    to_instance,
)
from selforg_scheduler.pipeline.solve import (
    SolveParams,
    _busiest_worker_day,
    make_solution,
    solve_detailed,
)
from selforg_scheduler.rules.config import default_rules, load_rules
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import greedy_rota, repair
from selforg_scheduler.search.pricing import rota_cost
from selforg_scheduler.search.ruin import (
    cover_by_ruin,
    exact_proxy,
    improve_by_ruin,
    improve_in_chains,
    uncovered_minutes,
)


def capped_client_week():
    """p may see two workers; w1 and w2 do its morning visits and are gone by 17:00, when only
    w3 works. Only swapping a regular for w3 (who then takes that regular's visit too) covers c."""
    return instance(
        [
            worker("w1", (DAY0, "07:00", "12:00")),
            worker("w2", (DAY0, "07:00", "12:00")),
            worker("w3", (DAY0, "07:00", "20:00")),
        ],
        [client("p", "A"), client("q", "B")],
        [visit("a", "p", "08:00"), visit("b", "p", "10:00"), visit("c", "p", "17:00"), visit("d", "q", "09:00")],
    )


def builder_for(inst, rule_set):
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    return problem, RouteBuilder(problem, rule_set, eligible, domains)


def test_ruin_swaps_a_regular_worker_to_cover_a_visit_the_cap_blocks():
    rule_set = rules("continuity.max_distinct_workers=2")
    problem, b = builder_for(capped_client_week(), rule_set)
    index = {v.id: v.index for v in problem.visits}
    w1, w2, w3 = (w.index for w in problem.workers)
    b.place(index["a"], 8 * 60, (w1,))
    b.place(index["b"], 10 * 60, (w2,))
    b.place(index["d"], 9 * 60, (w3,))
    c = index["c"]
    assert b.best_crew(c) is None and repair(b) == 0  # an ejection chain cannot lift the cap
    stats = cover_by_ruin(b, random.Random(0), max_steps=50)
    assert c in b.crew and b.crew[c] == (w3,)
    assert len(b.crew) == 4 and stats.covered_after == 4 and stats.covered_before == 3
    assert len(b.seen[problem.clients[0].index]) <= 2  # the cap still holds
    assert uncovered_minutes(b) == 0


class AllIn(random.Random):
    """Every random choice a ruin makes comes out "take it": the neighbourhoods at their fullest."""

    def random(self) -> float:
        return 0.0

    def uniform(self, a: float, b: float) -> float:
        return b

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[0]


def placed(inst, rule_set, plan):
    """A builder with the visits placed as planned, (visit id, hour, worker number) each; and
    the visits' indices by id."""
    problem, b = builder_for(inst, rule_set)
    index = {v.id: v.index for v in problem.visits}
    for vid, hour, w in plan:
        b.place(index[vid], hour * 60, (w,))
    return b, index


def ruin_off_and_on(monkeypatch, b, v, knob):
    """What a ruin around v takes out (radius 0, every choice "take it", every extra kind of ruin
    off) with the ``knob`` kind off, then on; the rota is put back after each."""
    monkeypatch.setattr(ruin_module, "RADII", (0,))
    for name in ("CLIENT_RUIN", "WIDE_RUIN", "CAP_RUIN"):
        monkeypatch.setattr(ruin_module, name, 0.0)
    taken = []
    for share in (0.0, 1.0):
        monkeypatch.setattr(ruin_module, knob, share)
        snapshot = ruin_module._Snapshot.of(b)
        taken.append(set(ruin_module._ruin(b, v, AllIn())))
        snapshot.restore(b)
    return taken


def test_a_client_swap_frees_a_regular_and_what_the_others_do_around_their_visits():
    """p may see two workers (w1 at 08:00, w2 at 10:00); only newcomer w3 can take c at 17:00,
    and w3 is busy at 08:00 (d) and 10:00 (e). Whoever leaves p, their visit needs a worker who
    is busy then: the swap takes out that visit and the crew's visit in its way, nothing else."""
    inst = instance(
        [
            worker("w1", (DAY0, "07:00", "12:00")),
            worker("w2", (DAY0, "07:00", "12:00")),
            worker("w3", (DAY0, "07:00", "20:00")),
        ],
        [client("p", "A"), client("q", "B"), client("r", "C")],
        [
            visit("a", "p", "08:00"),
            visit("b", "p", "10:00"),
            visit("c", "p", "17:00"),
            visit("d", "q", "08:00"),
            visit("e", "r", "10:00"),
        ],
    )
    b, index = placed(
        inst, rules("continuity.max_distinct_workers=2"), [("a", 8, 0), ("b", 10, 1), ("d", 8, 2), ("e", 10, 2)]
    )
    expected = {frozenset({index["a"], index["d"]}), frozenset({index["b"], index["e"]})}
    swaps = {frozenset(ruin_module._client_swap(b, index["c"], 0, 1.0, random.Random(seed))) for seed in range(12)}
    assert swaps == expected  # both regulars see p once: either may leave


def test_a_wide_ruin_also_takes_out_what_could_make_room_for_the_visits_in_the_way(monkeypatch):
    """v needs skill s (only w1), and w1 is busy with u then; u could go to w2 or w3, each busy
    then too. A plain ruin takes out u; a wide one x and y as well, not z (13:00)."""
    inst = instance(
        [worker("w1", skills=["s"]), worker("w2"), worker("w3")],
        [client("p", "A"), client("q", "B"), client("r", "C"), client("t", "D")],
        [
            visit("v", "p", "09:00", skills=["s"]),
            visit("u", "q", "09:00"),
            visit("x", "r", "09:00"),
            visit("y", "t", "09:00"),
            visit("z", "r", "13:00"),
        ],
    )
    b, index = placed(inst, rules(), [("u", 9, 0), ("x", 9, 1), ("y", 9, 2), ("z", 13, 1)])
    plain, wide = ruin_off_and_on(monkeypatch, b, index["v"], "WIDE_RUIN")
    assert plain == {index["u"]}
    assert wide == {index["u"], index["x"], index["y"]}


def test_a_ruin_makes_a_client_swap_where_a_visit_in_the_way_meets_its_clients_cap(monkeypatch):
    """v needs skill s (only w1), busy with u at q; q may see two workers (w1, w2: at its cap), so
    u could only go to w3 if w1 left q, and w3 is busy with y then. The cap ruin takes out y too."""
    inst = instance(
        [worker("w1", skills=["s"]), worker("w2"), worker("w3")],
        [client("p", "A"), client("q", "B"), client("r", "C")],
        [
            visit("v", "p", "09:00", skills=["s"]),
            visit("u", "q", "09:00"),
            visit("k", "q", "11:00"),
            visit("y", "r", "09:00"),
        ],
    )
    b, index = placed(inst, rules("continuity.max_distinct_workers=2"), [("u", 9, 0), ("k", 11, 1), ("y", 9, 2)])
    plain, capped = ruin_off_and_on(monkeypatch, b, index["v"], "CAP_RUIN")
    assert plain == {index["u"]}
    assert capped == {index["u"], index["y"]}  # w1 leaves q; not k, w2's visit at 11:00


def test_ruin_needs_a_deadline_or_a_step_budget():
    _, b = builder_for(capped_client_week(), rules())
    with pytest.raises(ValueError, match="deadline or a step budget"):
        cover_by_ruin(b, random.Random(0))


def busy_week(workers: int, visits: int, days: int, seed: int):
    """A generated week the greedy alone leaves short (its planted plan covers every visit)."""
    made = generate_instance(workers=workers, visits=visits, days=days, seed=seed)
    inst = instance_from_dict(made.instance)
    rule_set = default_rules()
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    assigner = rule_set.role_assigner()
    held = assigner.choose(problem) if assigner is not None and rule_set.role_pairs(problem) else {}
    return inst, rule_set, problem, (eligible, domains), held


@pytest.mark.parametrize(("workers", "visits", "days", "seed"), [(12, 190, 2, 1), (12, 190, 2, 2), (10, 240, 3, 3)])
def test_ruin_covers_more_of_a_busy_week_and_its_rota_keeps_every_rule(workers, visits, days, seed):
    inst, rule_set, problem, (eligible, domains), held = busy_week(workers, visits, days, seed)
    b = greedy_rota(problem, rule_set, eligible, domains, held)
    holes, before = uncovered_minutes(b), len(b.crew)
    assert holes > 0, "the week should be busy enough to leave the greedy short"
    stats = cover_by_ruin(b, random.Random(seed), max_steps=150)
    assert stats.covered_before == before and stats.covered_after == len(b.crew)
    assert uncovered_minutes(b) < holes
    # Every step keeps the builder consistent: routes in start order, seen = the clients' crews.
    for (w, day), route in b.routes.items():
        assert all(b.crew[v] and w in b.crew[v] and problem.visits[v].day == day for v in route)
        assert [b.start[v] for v in route] == sorted(b.start[v] for v in route)
    for cl in problem.clients:
        assert b.seen.get(cl.index, set()) == {w for v in cl.visits for w in b.crew.get(v, ())}
    solution, report = make_solution(
        problem, rule_set, (eligible, domains), inst, "FEASIBLE", RawRota(b.start, b.crew, held), "greedy", None, 0.0
    )
    assert report.violations == [], report.violations[:3]
    assert len(solution.visits) == len(b.crew)


def test_ruin_is_reproducible_for_a_seed_and_a_step_budget():
    inst, rule_set, problem, (eligible, domains), held = busy_week(10, 240, 3, 3)
    rotas = []
    for _ in range(2):
        b = greedy_rota(problem, rule_set, eligible, domains, held)
        cover_by_ruin(b, random.Random(7), max_steps=40)
        rotas.append((dict(b.start), dict(b.crew), rota_cost(b)))
    assert rotas[0] == rotas[1]


BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "mankowska2014" / "instances"
B1 = BENCH / "InstanzCPLEX_HCSRP_25_1.txt"
WEEK = Path(__file__).resolve().parent.parent / "instances" / "week.json"
MANKOWSKA_RULES = Path(__file__).resolve().parent.parent / "constraints" / "mankowska.yaml"


def test_the_cost_proxy_is_exact_only_when_travel_lateness_and_continuity_are_the_only_costs():
    week = compile_problem(load_instance(WEEK))
    assert exact_proxy(load_rules(MANKOWSKA_RULES), week)
    assert not exact_proxy(default_rules(), week)  # fairness, contract hours, ... weigh in on a team's week
    # a repair's reference rota: stability charges each change, which the prices leave out
    v = week.visits[0].index
    with_reference = dataclasses.replace(week, reference={v: (week.visits[0].earliest, (0,))})
    assert not exact_proxy(load_rules(MANKOWSKA_RULES), with_reference)


def b1_greedy():
    """Mankowska B1: its data, its instance and the greedy rota's builder."""
    data = read_mankowska(B1)
    inst = instance_from_dict(to_instance(data))
    rule_set = load_rules(MANKOWSKA_RULES)
    problem = compile_problem(inst, rule_set.resolution)
    eligible, domains = eligibility(problem, rule_set)
    return data, inst, greedy_rota(problem, rule_set, eligible, domains)


def test_the_greedy_rota_is_priced_in_full_even_when_a_lateness_blind_order_wins():
    # On B1 the best insertion order is one that ignored lateness while inserting; the rota it
    # hands on must still price lateness as the rules do, or the cost search would ignore it.
    data, inst, b = b1_greedy()
    assert (b.w_late, b.w_largest) == (b.prices.late_per_minute, b.prices.largest_late_per_minute) != (0, 0)
    solution, report = make_solution(
        b.problem, b.rules, (b.eligible, b.domains), inst, "FEASIBLE", RawRota(b.start, b.crew, {}), "greedy", None, 0.0
    )
    assert report.objective == pytest.approx(rota_cost(b) / b.rules.resolution, rel=1e-4)


def test_cost_ruin_lowers_a_benchmark_rota_without_uncovering_or_breaking_a_rule():
    data, inst, b = b1_greedy()
    problem, rule_set, eligible, domains = b.problem, b.rules, b.eligible, b.domains
    start_cost, covered = rota_cost(b), set(b.crew)
    stats = improve_by_ruin(b, random.Random(0), max_steps=400)
    assert stats.steps == 400 and stats.accepted > 0
    assert set(b.crew) == covered
    assert rota_cost(b) < start_cost
    solution, report = make_solution(
        problem, rule_set, (eligible, domains), inst, "FEASIBLE", RawRota(b.start, b.crew, {}), "greedy", None, 0.0
    )
    assert report.violations == [] and benchmark_violations(data, solution) == []
    # The builder's cost is the model's objective at the instance's time resolution.
    assert report.objective == pytest.approx(rota_cost(b) / rule_set.resolution, rel=1e-3)


def test_chains_in_parallel_end_on_the_cheapest_chain_with_every_visit_covered():
    """Each seed's chain on its own copy (the first seed's here, the others' in worker processes
    at the same time): on a step budget the result is exactly the cheapest of the chains run one
    by one. Seed 2 runs here and is the dearest on B1, so a worker's rota must be brought back."""
    seeds = [2, 0, 1]
    alone = []
    for seed in seeds:
        _, _, b = b1_greedy()
        improve_by_ruin(b, random.Random(seed), max_steps=300)
        alone.append((rota_cost(b), dict(b.start), dict(b.crew)))
    _, _, b = b1_greedy()
    stats = improve_in_chains(b, seeds, max_steps=300)
    assert stats.steps == 900
    cheapest = min(alone, key=lambda chain: chain[0])  # min keeps the earliest seed on ties
    assert cheapest != alone[0]
    assert (rota_cost(b), b.start, b.crew) == cheapest
    # The builder's routes agree with its rota (a restored chain brings its routes along).
    assert sorted(v for route in b.routes.values() for v in route) == sorted(b.crew)
    assert all(b.start[x] < b.start[y] for route in b.routes.values() for x, y in zip(route, route[1:], strict=False))


def test_the_busiest_worker_day_counts_the_visits_one_worker_could_do_that_day():
    inst = instance(
        [worker("w1"), worker("w2", skills=["medication"])],
        [client("p1")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "10:00", skills=["medication"]), visit("v3", "p1", "12:00")],
    )
    problem, b = builder_for(inst, rules())
    assert _busiest_worker_day(problem, b.eligible) == 3  # w2 could do all three


def test_the_solver_lowers_the_cost_by_ruin_on_big_days_and_returns_a_valid_rota(monkeypatch, caplog):
    monkeypatch.setattr(solver_module, "COST_RUIN_ABOVE", 10)  # B1's days count as big
    data = read_mankowska(B1)
    inst = instance_from_dict(to_instance(data))
    rule_set = load_rules(MANKOWSKA_RULES)
    with caplog.at_level(logging.INFO, logger="selforg_scheduler.pipeline.solve"):
        result = solve_detailed(inst, rule_set, SolveParams(time_limit_s=30, workers=1, deterministic_time=2.0))
    assert any("ruin and recreate on cost" in r.getMessage() for r in caplog.records)
    assert result.report.ok and not result.solution.unassigned
    assert result.report.objective == result.solution.objective
    assert benchmark_violations(data, result.solution) == []


def test_the_solver_leaves_small_days_to_cp_sat(caplog):
    """B1's busiest worker-day holds 21 visits, under COST_RUIN_ABOVE: CP-SAT alone does better."""
    inst = instance_from_dict(to_instance(read_mankowska(B1)))
    with caplog.at_level(logging.INFO, logger="selforg_scheduler.pipeline.solve"):
        result = solve_detailed(
            inst, load_rules(MANKOWSKA_RULES), SolveParams(time_limit_s=30, workers=1, deterministic_time=1.0)
        )
    assert not any("ruin and recreate on cost" in r.getMessage() for r in caplog.records)
    assert any("model:" in r.getMessage() for r in caplog.records)  # the log was captured
    assert result.report.ok


def test_cover_ruin_stops_once_it_stalls(monkeypatch):
    """Two visits at 08:00 and one worker: the second can never be covered, so the search gives
    up after STALL_STEPS fruitless steps rather than spending its whole time."""
    monkeypatch.setattr(ruin_module, "STALL_STEPS", 40)
    inst = instance(
        [worker("w1")], [client("p"), client("q", "B")], [visit("a", "p", "08:00"), visit("b", "q", "08:00")]
    )
    problem, b = builder_for(inst, rules())
    b.place(0, 8 * 60, (0,))
    stats = cover_by_ruin(b, random.Random(0), deadline=time.perf_counter() + 600)
    assert stats.steps == 40 and len(b.crew) == 1


def test_a_sideways_step_is_kept_and_the_search_ends_on_the_best_rota_seen(monkeypatch):
    """w1 can make u (25 min) or v (20 min) at 09:00, not both: u is in, v uncovered. A step
    around v puts v in and leaves u out: 5 uncovered minutes more, as many visits uncovered, a
    sideways step: kept within SIDEWAYS_SLACK (30 min), not beyond it; either way the search
    ends on the rota with u in."""
    inst = instance(
        [worker("w1", (DAY0, "07:00", "20:00"))],
        [client("p", "A")],
        [visit("u", "p", "09:00", duration=25), visit("v", "p", "09:00", duration=20)],
    )
    b, index = placed(inst, rules(), [("u", 9, 0)])
    kept = cover_by_ruin(b, AllIn(), max_steps=1)
    assert kept.steps == 1 and kept.accepted == 1
    assert index["u"] in b.crew and index["v"] not in b.crew and uncovered_minutes(b) == 20
    monkeypatch.setattr(ruin_module, "SIDEWAYS_SLACK", 4)
    assert cover_by_ruin(b, AllIn(), max_steps=1).accepted == 0
    assert index["u"] in b.crew and index["v"] not in b.crew
