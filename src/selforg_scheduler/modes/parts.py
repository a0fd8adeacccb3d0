"""An instance cut into parts that are solved on their own: the teams of an organisation, or the
parts :mod:`~selforg_scheduler.modes.split` finds in a large pool without team labels.

A part is an instance of its own: its workers, the clients given to it with their visits, its
roles, and only the locations, dependencies, buddy groups and history that concern them. Link
workers and exclusions naming another part's worker are dropped from its clients (the merged rota
is still costed and checked on the whole instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from selforg_scheduler.contract.instance import Instance, MatrixTravel, Team
from selforg_scheduler.contract.io import client_team

__all__ = ["TeamPart", "is_organisation", "parts_from_labels", "team_parts"]


@dataclass(frozen=True)
class TeamPart:
    """The instance of one part: a team, teams that must be solved together, or a pool's part."""

    teams: tuple[str, ...]
    instance: Instance


def is_organisation(instance: Instance) -> bool:
    """Whether the workers belong to more than one team."""
    return len({w.team for w in instance.workers if w.team is not None}) > 1


def team_parts(instance: Instance) -> list[TeamPart]:
    """One instance per team, largest first. Roles without a team go with the largest part."""
    worker_team = {w.id: w.team for w in instance.workers}
    if len({t for t in worker_team.values() if t is not None}) <= 1:
        teams = tuple(sorted({t for t in worker_team.values() if t is not None}))
        return [TeamPart(teams, instance)]
    of_client = {c.id: client_team(c, worker_team) for c in instance.clients}
    return parts_from_labels(instance, worker_team, of_client, {r.id: r.team for r in instance.roles})


def parts_from_labels(
    instance: Instance,
    of_worker: Mapping[str, str | None],
    of_client: Mapping[str, str | None],
    of_role: Mapping[str, str | None],
) -> list[TeamPart]:
    """The parts named by labels of the workers, clients and roles, largest first.

    Labels tied together by a linked visit or a buddy group across them are kept in one part
    (networkx components); a role without a label goes with the largest part."""
    labels = sorted({t for t in of_worker.values() if t is not None})
    of_visit = {v.id: of_client[v.client] for v in instance.visits}
    ties = nx.Graph()
    ties.add_nodes_from(labels)
    for d in instance.dependencies:
        ties.add_edge(of_visit[d.first], of_visit[d.second])
    for group in instance.buddies:
        ties.add_edges_from((of_worker[group[0]], of_worker[w]) for w in group[1:])
    groups = [tuple(sorted(c)) for c in nx.connected_components(ties)]
    size = {g: sum(1 for v in instance.visits if of_visit[v.id] in g) for g in groups}
    groups.sort(key=lambda g: (-size[g], g))
    parts = []
    for k, g in enumerate(groups):
        members = set(g)
        parts.append(
            TeamPart(
                g,
                _part(
                    instance,
                    members,
                    {w for w, t in of_worker.items() if t in members},
                    {c for c, t in of_client.items() if t in members},
                    {r for r, t in of_role.items() if t in members or (k == 0 and t is None)},
                ),
            )
        )
    return parts


def _part(inst: Instance, labels: set[str], worker_ids: set[str], client_ids: set[str], role_ids: set[str]) -> Instance:
    workers = [w for w in inst.workers if w.id in worker_ids]
    clients = [
        c.model_copy(
            update={
                "link_workers": [w for w in c.link_workers if w in worker_ids],
                "excluded_workers": [w for w in c.excluded_workers if w in worker_ids],
            }
        )
        for c in inst.clients
        if c.id in client_ids
    ]
    visits = [v for v in inst.visits if v.client in client_ids]
    visit_ids = {v.id for v in visits}
    roles = [r for r in inst.roles if r.id in role_ids]
    used = {c.location for c in clients} | {w.home for w in workers if w.home is not None}
    travel = inst.travel
    if isinstance(travel, MatrixTravel):
        travel = travel.model_copy(
            update={
                "minutes": {
                    a: {b: t for b, t in row.items() if b in used} for a, row in travel.minutes.items() if a in used
                }
            }
        )
    name = "+".join(sorted(labels))
    return inst.model_copy(
        update={
            "team": Team(id=name, name=f"{inst.team.name}: {name}", timezone=inst.team.timezone),
            "travel": travel,
            "locations": [loc for loc in inst.locations if loc.id in used],
            "workers": workers,
            "clients": clients,
            "visits": visits,
            "dependencies": [d for d in inst.dependencies if d.first in visit_ids],
            "buddies": [g for g in inst.buddies if g[0] in worker_ids],
            "roles": roles,
            "role_history": [h for h in inst.role_history if h.role in role_ids and h.worker in worker_ids],
            "buddy_history": [h for h in inst.buddy_history if all(m in worker_ids for m in h.members)],
        }
    )
