"""Deterministic generator of realistic home-care weeks, each with a planted rota covering every visit.

``generate_instance`` builds a contract instance (``formats.md``) for a Wellbeing Team around Exeter
(or an organisation of several Devon teams) and a contract *solution* dict, ``plan``, that covers
every visit while keeping every hard rule of ``domain.md`` (with some slack: at most 3 distinct
workers per client, at most 540 working minutes a day, room for team-role minutes in the week).

How, for each team (its state is a ``team.Team``): rota lines give each worker's availability
(``roster``); clients with care plans (``clients``, homes from ``geography``) are then generated
one at a time, people with daily calls first, each with a circle of workers living near them
(``circles``), and their candidate visits planted into the workers' routes by cheapest feasible
insertion (``planting``, checks in ``feasibility``, screened with numpy in ``screen``) until the
team has exactly its share of the visits; the team is then written out with contract ids
(``export``). This module assembles the teams into one instance and plan, gives the roles
holders (``roles.plant_roles``) and states the plan's cost. Only ``random.Random(seed)`` is
used: same arguments, same instance and plan.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from selforg_scheduler.datasets.export import TeamResult, team_result
from selforg_scheduler.datasets.geography import DETOUR_FACTOR, SPEED_KMH, team_towns
from selforg_scheduler.datasets.names import Names
from selforg_scheduler.datasets.planting import make_clients
from selforg_scheduler.datasets.roles import plant_roles
from selforg_scheduler.datasets.roster import make_workers
from selforg_scheduler.datasets.team import Team

__all__ = ["GeneratedInstance", "generate_instance", "plant_roles"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneratedInstance:
    """A contract instance and a planted rota (a contract solution dict) covering all its visits."""

    instance: dict[str, Any]
    plan: dict[str, Any]


def generate_instance(
    workers: int = 12,
    visits: int = 450,
    days: int = 7,
    seed: int = 1,
    start: date = date(2026, 11, 30),
    teams: int = 1,
) -> GeneratedInstance:
    """Generate a week (``days`` long) for ``teams`` teams sharing ``workers`` workers and
    ``visits`` visits, with a planted rota covering them. Where a team's workers cannot carry
    its share of the visits it has fewer, and a warning names how many were planted of how many
    requested."""
    if teams < 1 or workers < teams:
        raise ValueError("need at least one worker per team")
    if not 1 <= days <= 28:
        raise ValueError("days must be 1..28")
    if visits < 0:
        raise ValueError("visits must be >= 0")
    rng = random.Random(seed)
    sizes = _split(workers, [1] * teams)
    targets = _split(visits, sizes)
    names = Names(rng)
    towns = team_towns(rng, teams)
    org = teams > 1
    parts: list[TeamResult] = []
    for k in range(teams):
        prefix = f"t{k + 1:02d}-" if org else ""
        team_rng = random.Random(rng.getrandbits(64))
        parts.append(_build_team(Team(team_rng, prefix, towns[k], sizes[k], targets[k], start, days, names)))
    if org:
        team = {"id": "devon-wellbeing", "name": f"Devon Wellbeing Teams ({teams} teams)"}
    else:
        team = {"id": "exeter-north", "name": "Exeter North"}
    instance: dict[str, Any] = {
        "schema_version": 1,
        "team": {**team, "timezone": "Europe/London"},
        "horizon": {"start": start.isoformat(), "days": days},
        "travel": {
            "method": "haversine",
            "speed_kmh": SPEED_KMH,
            "detour_factor": DETOUR_FACTOR,
            "count_home_legs": False,
        },
    }
    for key in (
        "locations", "workers", "clients", "visits", "dependencies", "buddies", "roles",
        "role_history",
    ):  # fmt: skip
        instance[key] = [item for part in parts for item in getattr(part, key)]
    plan: dict[str, Any] = {
        "schema_version": 1,
        "instance": {"team": team["id"], "sha256": ""},
        "status": "FEASIBLE",
        "objective": 0,
        "bound": 0,
        "gap": 0.0,
        "wall_s": 0.0,
        "visits": [item for part in parts for item in part.plan_visits],
        "unassigned": [],
        "breaks": [item for part in parts for item in part.breaks],
        "roles": [],
        "penalties": {},
        "kpis": {},
    }
    if org and len(instance["visits"]) < visits:
        log.warning("planted %d of the %d visits requested in %d teams", len(instance["visits"]), visits, teams)
    if not org:
        _people_matters(instance, start)
    # The plan names the instance it belongs to, so validate warns if they are mixed up, and
    # states its cost under the default rules (what validate recomputes). The instance is
    # compiled once, for the role holders and the cost (a large pool's takes seconds).
    from selforg_scheduler.contract.io import instance_from_dict, instance_sha256
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.rules.config import default_rules
    from selforg_scheduler.rules.validator import evaluate

    parsed = instance_from_dict(instance)
    rules = default_rules()
    problem = compile_problem(parsed, rules.resolution)
    plan["roles"] = plant_roles(instance, plan, problem)
    plan["instance"]["sha256"] = instance_sha256(parsed)
    report = evaluate(problem, rules, Solution.model_validate(plan))  # what validate does
    plan["objective"] = report.objective
    plan["penalties"] = dict(report.penalties)
    plan["kpis"] = dict(report.kpis)
    return GeneratedInstance(instance=instance, plan=plan)


def _people_matters(instance: dict[str, Any], start: date) -> None:
    """Buddy wishes, past buddy groups and a holiday for a single team, fixed rather than drawn
    (so the rest of the week does not change): they matter to ``pair-buddies`` and
    ``rotate-roles``, not to the week's rota."""
    workers = instance["workers"]
    if len(workers) < 8:
        return
    grouped = {m: tuple(g) for g in instance["buddies"] for m in g}
    ids = [w["id"] for w in workers]
    experienced = [w["id"] for w in workers if not w.get("new_starter")]
    a, b, c, d = experienced[1], experienced[-1], experienced[2], experienced[-2]
    workers[ids.index(a)]["buddy_preferences"] = [b] if b not in grouped.get(a, ()) else []
    workers[ids.index(c)]["buddy_avoid"] = [d] if d not in grouped.get(c, ()) else []
    instance["buddy_history"] = [
        {"members": [experienced[0], experienced[5]], "until": (start - timedelta(days=182)).isoformat()},
        {"members": [experienced[1], experienced[4]], "until": (start - timedelta(days=91)).isoformat()},
    ]
    away = workers[ids.index(experienced[3])]
    away["leave"] = [
        {
            "start": (start + timedelta(days=14)).isoformat(),
            "end": (start + timedelta(days=20)).isoformat(),
            "what": "holiday",
        }
    ]


def _build_team(team: Team) -> TeamResult:
    """One team, built step by step on its state: workers, then clients planted, then written out."""
    make_workers(team)
    make_clients(team)
    return team_result(team)


def _split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainders)."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
