"""The lower bound: the rules' floors over rotas that cover every coverable visit and over rotas
that do not, checked against optimal rotas of random small weeks and worked by hand."""

from __future__ import annotations

import math

from hypothesis import given

from factory import DAY0, client, instance, rules, run, visit, worker
from selforg_scheduler import solve_detailed
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.cpsat.model import build_model
from selforg_scheduler.pipeline.solve import floor_of
from test_properties import DETERMINISTIC, PROPS, weeks


def floors(inst, *overrides, covered=True):
    rule_set = rules(*overrides)
    ctx = build_model(compile_problem(inst), rule_set)
    return {rule.name: rule.floor(ctx, covered) for rule in rule_set.active()}, floor_of(ctx, rule_set)


@PROPS
@given(weeks())
def test_the_floor_never_exceeds_a_proven_optimum(week):
    inst, overrides = week
    rule_set = rules(*overrides)
    result = solve_detailed(inst, rule_set, DETERMINISTIC)
    ctx = build_model(compile_problem(inst), rule_set)
    floor = floor_of(ctx, rule_set)
    assert floor <= result.solution.objective + 1e-6
    if result.solution.status == "OPTIMAL":
        assert result.solution.bound is not None and result.solution.bound <= result.solution.objective + 1e-6


def test_contract_floor_is_the_shortfall_no_rota_avoids():
    # Targets 2000/7 -> 286 each; 90 minutes of visits in all: at least 2 * 286 - 90 of shortfall.
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1"), client("p2", "B")],
        [visit("v1", "p1", "08:00", duration=60), visit("v2", "p2", "10:00")],
    )
    by_rule, _ = floors(inst)
    assert by_rule["contract_hours"] == 2 * 286 - 90
    # A worker free for only 60 minutes cannot reach their target: 286 - 60 of it is certain.
    short = instance(
        [worker("w1", (DAY0, "08:00", "09:00")), worker("w2")],
        [client("p1")],
        [visit("v1", "p1", "08:00", duration=60), visit("v2", "p1", "10:00", duration=60)],
    )
    by_rule, _ = floors(short)
    assert by_rule["contract_hours"] == (286 - 60) + (286 - 60)


def test_travel_floor_is_the_cheapest_pairing_of_the_days_places():
    # One worker, visits at A 08:00, B 09:00, C 10:00 in a row: the route A -> B -> C travels 20,
    # and no pairing of places is cheaper (one route start, two legs of at least 10).
    inst = instance(
        [worker("w1")],
        [client("p1"), client("p2", "B"), client("p3", "C")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "09:00"), visit("v3", "p3", "10:00")],
    )
    by_rule, _ = floors(inst)
    assert by_rule["travel"] == 20
    assert run(inst).solution.penalties["travel"] == 20
    # Two workers: two routes may start anywhere, so C (from B, 10) is the one leg left.
    two = instance([worker("w1"), worker("w2")], inst.model_dump()["clients"], inst.model_dump()["visits"])
    assert floors(two)[0]["travel"] == 10
    # Home legs: the route starts and ends at H (0,0): out to A 0, back from C 20.
    assert (
        floors(instance([worker("w1")], inst.model_dump()["clients"], inst.model_dump()["visits"], home_legs=True))[0][
            "travel"
        ]
        == 40
    )


def test_continuity_floor_counts_the_fewest_faces_a_person_must_see():
    # A double-up needs two workers: the person sees at least two (one extra, 50), and at most
    # the one link worker's visit earns 10.
    inst = instance(
        [worker("w1"), worker("w2"), worker("w3")],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )
    by_rule, _ = floors(inst)
    assert by_rule["continuity"] == 50 - 10
    # Over rotas that leave a visit uncovered, only the reward is certain.
    assert floors(inst, covered=False)[0]["continuity"] == -10


def test_leaving_a_coverable_visit_uncovered_costs_at_least_the_cheapest_one():
    inst = instance(
        [worker("w1")],
        [client("p1"), client("p2", "D")],
        [visit("v1", "p1", "08:00", duration=20), visit("v2", "p2", "09:00", duration=45)],
    )
    uncovered, _ = floors(inst, covered=False)
    assert uncovered["coverage"] == 1000 * 20
    assert floors(inst, "coverage.hard=true", covered=False)[0]["coverage"] == math.inf
    # The bound is the smaller kind: here every visit can be covered, and covering costs less.
    by_rule, bound = floors(inst)
    assert bound == sum(by_rule.values()) < sum(uncovered.values())
