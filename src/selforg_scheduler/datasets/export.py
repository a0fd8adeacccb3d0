"""A built team in contract form: its part of the instance (locations, workers, clients, visits,
dependencies, buddies, roles, role history) and of the planted rota (visits and breaks), with
contract ids (``w01``, ``p01``, ``v0001``, prefixed ``t01-`` in an organisation).

Link workers, excluded workers and the role history are drawn here, from the team's generator,
after planting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from selforg_scheduler.datasets.feasibility import break_slot
from selforg_scheduler.datasets.roles import role_history, team_roles
from selforg_scheduler.datasets.roster import SKILLS
from selforg_scheduler.datasets.team import BREAK_AFTER, BREAK_MINUTES, Team

log = logging.getLogger(__name__)


@dataclass
class TeamResult:
    """One team's lists of the instance's and the plan's entries, in contract form."""

    locations: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    buddies: list[list[str]]
    roles: list[dict[str, Any]]
    role_history: list[dict[str, Any]]
    plan_visits: list[dict[str, Any]]
    breaks: list[dict[str, Any]]


def team_result(team: Team) -> TeamResult:
    """The team's part of the instance and of the plan, with contract ids (once it is planted)."""
    rng = team.rng
    ws = team.workers
    pre = team.prefix
    cwidth = max(2, len(str(len(team.clients))))
    cids = [f"{pre}p{i + 1:0{cwidth}d}" for i in range(len(team.clients))]
    live = [vi for vi, v in enumerate(team.visits) if v.workers]
    live.sort(key=lambda vi: (team.visits[vi].day, team.visits[vi].e, team.visits[vi].client, vi))
    vwidth = max(4, len(str(len(live))))
    vids = {vi: f"{pre}v{k + 1:0{vwidth}d}" for k, vi in enumerate(live)}
    loc_ids = {}
    locations: list[dict[str, Any]] = []
    for ci, c in enumerate(team.clients):
        if c.loc not in loc_ids:
            loc_ids[c.loc] = f"L-{cids[ci]}"
            p = team.points[c.loc]
            locations.append({"id": loc_ids[c.loc], "lat": p[0], "lon": p[1]})
    for w in ws:
        locations.append({"id": f"L-{w.id}", "lat": w.home[0], "lon": w.home[1]})
    workers_out = []
    for w in ws:
        workers_out.append({
            "id": w.id,
            "name": w.name,
            "home": f"L-{w.id}",
            "skills": [s for s in SKILLS if s in w.skills],
            "contract_minutes": w.contract,
            "overtime_minutes": w.overtime,
            "new_starter": w.new,
            "availability": [
                {"start": team.iso(a), "end": team.iso(b)}
                for d in range(team.days) for a, b in w.periods[d]
            ],
            "commitments": [
                {"start": team.iso(a), "end": team.iso(b), "what": what}
                for d in range(team.days) for a, b, what in w.commits[d]
            ],
            "flexible_working": w.flex,
            **team.team_field,
        })  # fmt: skip
    clients_out = []
    for ci, c in enumerate(team.clients):
        ranked = sorted(c.counts, key=lambda wi: (-c.counts[wi], ws[wi].new, wi))
        ranked = [wi for wi in ranked if not ws[wi].new] or ranked
        links = ranked[:1]
        if len(ranked) > 1 and c.counts[ranked[1]] >= 0.25 * len(c.visits) and rng.random() < 0.7:
            links.append(ranked[1])
        excluded: list[str] = []
        others = [w for w in ws if w.idx not in c.counts]
        if others and rng.random() < 0.3:
            excluded.append(rng.choice(others).id)
        clients_out.append({
            "id": cids[ci],
            "name": c.name,
            "location": loc_ids[c.loc],
            "link_workers": [ws[wi].id for wi in links],
            "excluded_workers": excluded,
            "two_workers": c.two_workers,
            **team.team_field,
        })  # fmt: skip
    visits_out = []
    plan_visits = []
    for vi in live:
        v = team.visits[vi]
        visits_out.append({
            "id": vids[vi],
            "client": cids[v.client],
            "earliest_start": team.iso(v.e),
            "latest_start": team.iso(v.l),
            "duration_min": v.dur,
            "workers_required": v.req,
            "skills": [s for s in SKILLS if s in v.skills],
        })  # fmt: skip
        plan_visits.append({"visit": vids[vi], "start": team.iso(v.start), "workers": [ws[i].id for i in v.workers]})
    deps_out = [
        {"first": vids[a], "second": vids[b], "min_gap_min": lo, "max_gap_min": hi}
        for a, b, lo, hi in sorted(team.deps, key=lambda x: vids[x[0]])
    ]
    breaks = []
    for w in ws:
        for d in range(team.days):
            if w.day_work[d] > BREAK_AFTER:
                b = break_slot(team, w, d, w.routes[d])
                assert b is not None
                end = team.iso(b + BREAK_MINUTES)
                breaks.append({"worker": w.id, "start": team.iso(b), "end": end})
    roles = team_roles(team)
    history = role_history(team)
    buddies = [[ws[i].id for i in g] for g in team.groups]
    log.debug("team %s: %d workers, %d clients, %d visits", team.town[0], len(ws), len(team.clients), len(live))
    return TeamResult(
        locations, workers_out, clients_out, visits_out, deps_out, buddies, roles, history,
        plan_visits, breaks,
    )  # fmt: skip
