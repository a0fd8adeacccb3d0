"""Team roles: the roles each team has, who held them in the past weeks, and the holders for
the planted week (``plant_roles``, run on the whole instance and plan once they are assembled).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from selforg_scheduler.datasets.team import Team

if TYPE_CHECKING:
    from selforg_scheduler.core.problem import Problem

ROLES = (
    ("meeting_facilitator", "Meeting facilitator", 90),
    ("scheduler", "Scheduler", 180),
    ("storyteller", "Storyteller", 60),
    ("reporter_recorder", "Reporter/recorder", 90),
    ("recruitment_coordinator", "Recruitment co-ordinator", 120),
)


def team_roles(team: Team) -> list[dict[str, Any]]:
    """The team's roles, one holder each."""
    pre = team.prefix
    return [
        {
            "id": f"{pre}{rid}",
            "name": name,
            "minutes_per_week": minutes,
            "holders": 1,
            "skills": [],
            **team.team_field,
        }
        for rid, name, minutes in ROLES
    ]


def role_history(team: Team) -> list[dict[str, Any]]:
    """Who held each role in the three weeks before the horizon: experienced workers in turn
    (the order drawn from the team's generator)."""
    pre = team.prefix
    exp = [w.id for w in team.workers if not w.new]
    team.rng.shuffle(exp)
    history = []
    for k in range(3):
        week = team.start - timedelta(days=7 * (3 - k))
        for r, (rid, _, _) in enumerate(ROLES[: len(exp)]):
            holder = exp[(r + 2 * k) % len(exp)]
            history.append({"week_start": week.isoformat(), "role": f"{pre}{rid}", "worker": holder})
    return history


def plant_roles(instance: dict[str, Any], plan: dict[str, Any], problem: Problem | None = None) -> list[dict[str, Any]]:
    """Role holders for the planted rota: every role place the team can fill, each given to an
    eligible worker whose week has room for the role's minutes (a maximum bipartite matching on
    the pairs that fit; the most room first, so the choice is deterministic). ``problem`` is the
    instance compiled, if it is at hand."""
    import networkx as nx

    from selforg_scheduler.contract.io import instance_from_dict
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.core.rota import rota_from_solution
    from selforg_scheduler.core.workday import role_load, week_minutes
    from selforg_scheduler.rules.config import default_rules

    if problem is None:
        problem = compile_problem(instance_from_dict(instance))
    rules = default_rules()
    rota = rota_from_solution(problem, Solution.model_validate(plan))
    room = {
        w: (cap if (cap := rules.week_cap(problem, w)) is not None else float("inf")) - week_minutes(rota, w)
        for w in range(len(problem.workers))
    }
    # Integer node labels: their hashes are fixed, so the matching is the same in every process.
    places = [(r, k) for r, rd in enumerate(problem.roles) for k in range(rd.holders)]
    first_worker = len(places)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(places)))
    for r, w in sorted(rules.role_pairs(problem), key=lambda pair: (-room[pair[1]], pair)):
        if role_load(problem, r, 0) <= room[w]:
            graph.add_edges_from((i, first_worker + w) for i, (rr, _k) in enumerate(places) if rr == r)
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=range(len(places)))
    start = problem.origin.date().isoformat()
    return [
        {"week_start": start, "role": problem.roles[r].id, "worker": problem.workers[matching[i] - first_worker].id}
        for i, (r, _k) in enumerate(places)
        if i in matching
    ]
