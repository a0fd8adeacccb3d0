"""A large pool without team labels, split into nearly independent parts.

``team`` is a field this project added: an agency or an organisation often sends one pool of
workers and clients. One model of hundreds of workers and thousands of visits is far too big to
search (millions of arcs, gigabytes), yet such a pool is nearly always made of groups that hardly
touch: the workers who share clients, living near each other. :func:`split_pool` finds them:

1. **Units**: workers in one buddy group stay together (a buddy group is a unit); clients tied by a
   linked visit (a dependency) stay together (a client group).
2. **Ties between units** (a weighted networkx graph): two link workers of one client group are
   tied by the group's visits; each unit is also tied, weakly, to its nearest units by where the
   workers live and to the units sharing its working days (availability), so clients' links
   decide where they exist and geography and days decide the rest.
3. **Communities** of that graph (Louvain, seeded: the same split every run), then brought to the
   size of a team: a part of more than ``PART_MAX`` workers is bisected (Kernighan-Lin, on the same
   weights), one of fewer than ``PART_MIN`` joins the part it is most tied to.
4. **Clients** go to the part holding most of their link workers (weighted by visits); a client
   without link workers goes to the part whose workers live nearest and can do its visits (skills).
   **Roles** go to the part whose workers held them most (role history), else to the part with the
   fewest role minutes a worker.

Every visit is in exactly one part (its client's), a double-up is one visit so its crew comes from
one part, and linked visits and buddy groups are never cut (tested). The organisation path
(:mod:`~selforg_scheduler.modes.org`) then solves the parts in parallel and lets them borrow
workers at the seams.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx
import numpy as np

from selforg_scheduler.contract.instance import Instance, MatrixTravel
from selforg_scheduler.modes.parts import TeamPart, is_organisation, parts_from_labels

__all__ = ["PART_MAX", "PART_MIN", "PoolSplit", "needs_split", "pool_parts", "solved_in_parts", "split_pool"]

log = logging.getLogger(__name__)

PART_MIN, PART_MAX = 6, 18
"""Workers in a part: about a team (a Wellbeing Team is 8 to 15 people)."""
SPLIT_ABOVE_WORKERS = 30
"""A pool of more workers than this (and not labelled by team) is solved in parts."""
SPLIT_ABOVE_VISITS = 1200
"""... as is a pool of more visits than this. Measured on generated pools (docs/benchmarks.md,
"Unlabelled pools"): whole, 54 workers and 2,676 visits make a model of 1.8 million arcs that
CP-SAT cannot search in minutes; a team of 12 and 450 visits is searched well in seconds."""
GEO_NEIGHBOURS = 4
"""Each unit is tied to this many units living nearest."""
GEO_WEIGHT = 1.0
"""The weight of a geographic tie (a shared client weighs its visits a week: about 9)."""
DAYS_WEIGHT = 0.5
"""The weight of a tie between nearby units working the same days (by their availability)."""


@dataclass(frozen=True)
class PoolSplit:
    """Which part each worker, client and role is in (part ids ``p01``, ``p02``, ...)."""

    worker_part: dict[str, str]
    client_part: dict[str, str]
    role_part: dict[str, str]


def needs_split(instance: Instance) -> bool:
    """Whether an instance is a pool too large to solve whole: not labelled by team, and more
    workers or visits than one model can search within minutes."""
    if is_organisation(instance) or len(instance.workers) < 2 * PART_MIN:
        return False
    return len(instance.workers) > SPLIT_ABOVE_WORKERS or len(instance.visits) > SPLIT_ABOVE_VISITS


def solved_in_parts(instance: Instance) -> bool:
    """Whether ``solve`` takes the instance in parts: an organisation's teams, or a large pool's split."""
    return is_organisation(instance) or needs_split(instance)


def pool_parts(instance: Instance, seed: int = 0) -> list[TeamPart]:
    """The pool's parts as instances of their own (largest first)."""
    split = split_pool(instance, seed)
    return parts_from_labels(instance, split.worker_part, split.client_part, split.role_part)


def split_pool(instance: Instance, seed: int = 0) -> PoolSplit:
    """Cut a pool into parts of about a team's size (see the module's text)."""
    order = {w.id: k for k, w in enumerate(instance.workers)}
    unit_of = _buddy_units(instance)
    members: dict[str, list[str]] = defaultdict(list)
    for worker in instance.workers:  # in file order: the same units, in the same order, in any process
        members[unit_of[worker.id]].append(worker.id)
    units = sorted(members, key=lambda u: order[members[u][0]])
    where = _positions(instance)
    clients = {c.id: c for c in instance.clients}
    groups = _client_groups(instance)
    visits_of = Counter(v.client for v in instance.visits)

    graph = nx.Graph()
    graph.add_nodes_from(units)
    for group in groups:
        linked = sorted({unit_of[w] for c in group for w in clients[c].link_workers if w in unit_of})
        weight = float(sum(visits_of[c] for c in group))
        for i, a in enumerate(linked):
            for b in linked[i + 1 :]:
                _tie(graph, a, b, weight)
    unit_xy = {u: np.mean([where[w] for w in members[u]], axis=0) for u in units}
    _geographic_ties(graph, units, unit_xy, _working_days(instance, unit_of))

    communities = [set(c) for c in nx.community.louvain_communities(graph, weight="weight", seed=seed)]
    size = {u: len(members[u]) for u in units}
    communities = _right_sized(graph, communities, size, seed)
    # part ids in the order of the workers in the file: the same split, the same names
    communities.sort(key=lambda c: min(order[w] for u in c for w in members[u]))
    worker_part = {w: f"p{k + 1:02d}" for k, c in enumerate(communities) for u in c for w in members[u]}
    client_part = _clients_to_parts(instance, groups, worker_part, where, visits_of)
    role_part = _roles_to_parts(instance, worker_part)
    sizes = Counter(worker_part.values()).values()
    log.info(
        "pool split into %d parts of %d to %d workers (link workers, buddy groups, geography, working days)",
        len(communities),
        min(sizes),
        max(sizes),
    )
    return PoolSplit(worker_part, client_part, role_part)


def _tie(graph: nx.Graph, a: str, b: str, weight: float) -> None:
    if a == b:
        return
    if graph.has_edge(a, b):
        graph[a][b]["weight"] += weight
    else:
        graph.add_edge(a, b, weight=weight)


def _buddy_units(instance: Instance) -> dict[str, str]:
    """Each worker's unit: the first worker of its buddy group (groups sharing a worker join)."""
    ties = nx.Graph()
    ties.add_nodes_from(w.id for w in instance.workers)
    for group in instance.buddies:
        ties.add_edges_from((group[0], w) for w in group[1:])
    order = {w.id: k for k, w in enumerate(instance.workers)}
    unit_of: dict[str, str] = {}
    for component in nx.connected_components(ties):
        head = min(component, key=order.__getitem__)
        unit_of.update((w, head) for w in component)
    return unit_of


def _client_groups(instance: Instance) -> list[list[str]]:
    """Clients tied by a linked visit (dependency) form one group; every client is in one."""
    client_of = {v.id: v.client for v in instance.visits}
    ties = nx.Graph()
    ties.add_nodes_from(c.id for c in instance.clients)
    ties.add_edges_from((client_of[d.first], client_of[d.second]) for d in instance.dependencies)
    order = {c.id: k for k, c in enumerate(instance.clients)}
    groups = [sorted(g, key=order.__getitem__) for g in nx.connected_components(ties)]
    return sorted(groups, key=lambda g: order[g[0]])


def _positions(instance: Instance) -> dict[str, np.ndarray]:
    """Where each worker and each client is, as points on a plane (km, or the instance's units):
    a worker without a home is placed amid the clients it is a link worker for (else amid all)."""
    loc: dict[str, np.ndarray] = {}
    travel = instance.travel
    if isinstance(travel, MatrixTravel):
        loc = _embedded(instance)
    else:
        mean_lat = math.radians(np.mean([p.lat or 0.0 for p in instance.locations])) if instance.locations else 0.0
        for p in instance.locations:
            if p.lat is not None and p.lon is not None:
                loc[p.id] = np.array([p.lat * 111.2, p.lon * 111.2 * math.cos(mean_lat)])
            elif p.x is not None and p.y is not None:
                loc[p.id] = np.array([p.x, p.y], dtype=float)
    centre = np.mean(list(loc.values()), axis=0) if loc else np.zeros(2)
    where = {c.id: loc.get(c.location, centre) for c in instance.clients}
    served: dict[str, list[np.ndarray]] = defaultdict(list)
    for c in instance.clients:
        for wid in c.link_workers:
            served[wid].append(where[c.id])
    for worker in instance.workers:
        if worker.home is not None and worker.home in loc:
            where[worker.id] = loc[worker.home]
        else:
            where[worker.id] = np.mean(served[worker.id], axis=0) if served[worker.id] else centre
    return where


def _embedded(instance: Instance) -> dict[str, np.ndarray]:
    """Points on a plane whose distances follow a travel matrix (classical multidimensional scaling)."""
    assert isinstance(instance.travel, MatrixTravel)
    ids = [p.id for p in instance.locations]
    if len(ids) < 3:
        return {i: np.array([float(k), 0.0]) for k, i in enumerate(ids)}
    d = np.array([[instance.travel.lookup(a, b) for b in ids] for a in ids], dtype=float)
    d = (d + d.T) / 2
    n = len(ids)
    centring = np.eye(n) - np.ones((n, n)) / n
    gram = -0.5 * centring @ (d**2) @ centring
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:2]
    xy = vectors[:, top] * np.sqrt(np.maximum(values[top], 0.0))
    return {i: xy[k] for k, i in enumerate(ids)}


def _working_days(instance: Instance, unit_of: dict[str, str]) -> dict[str, frozenset[str]]:
    """The dates each unit's workers are available on."""
    days: dict[str, set[str]] = defaultdict(set)
    for w in instance.workers:
        for period in w.availability:
            days[unit_of[w.id]].add(period.start.date().isoformat())
    return {u: frozenset(d) for u, d in days.items()}


def _geographic_ties(
    graph: nx.Graph, units: list[str], xy: dict[str, np.ndarray], days: dict[str, frozenset[str]]
) -> None:
    """Each unit tied to its nearest units (``GEO_WEIGHT``), more if they work the same days."""
    if len(units) < 2:
        return
    points = np.array([xy[u] for u in units])
    dist = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    near = np.argsort(dist, axis=1)[:, :GEO_NEIGHBOURS]
    for i, u in enumerate(units):
        for j in near[i]:
            v = units[int(j)]
            a, b = days.get(u, frozenset()), days.get(v, frozenset())
            shared = len(a & b) / len(a | b) if a | b else 0.0
            _tie(graph, u, v, GEO_WEIGHT + DAYS_WEIGHT * shared)


def _right_sized(graph: nx.Graph, communities: list[set[str]], size: dict[str, int], seed: int) -> list[set[str]]:
    """Communities of ``PART_MIN`` to ``PART_MAX`` workers where possible: large ones bisected,
    small ones joined to the community they are most tied to (that stays within the maximum)."""

    def workers(c: set[str]) -> int:
        return sum(size[u] for u in c)

    done: list[set[str]] = []
    todo = list(communities)
    while todo:
        c = todo.pop()
        if workers(c) > PART_MAX and len(c) > 1:
            a, b = nx.community.kernighan_lin_bisection(_ordered(graph, c), weight="weight", seed=seed)
            todo += [set(a), set(b)]
        else:
            done.append(c)
    done.sort(key=lambda c: (workers(c), sorted(c)))
    while len(done) > 1 and workers(done[0]) < PART_MIN:
        small = done.pop(0)
        tie = [sum(graph[u][v]["weight"] for u in sorted(small) for v in graph[u] if v in other) for other in done]
        fits = [k for k, other in enumerate(done) if workers(other) + workers(small) <= PART_MAX]
        if fits:
            done[max(fits, key=lambda k: (tie[k], -workers(done[k])))] |= small
        else:  # joining would make a part too large: top the small one up from its closest part
            donor = done[max(range(len(done)), key=lambda k: (tie[k], workers(done[k])))]
            _top_up(graph, small, donor, size)
            if workers(small) < PART_MIN:
                donor |= small
            else:
                done.append(small)
        done.sort(key=lambda c: (workers(c), sorted(c)))
    return done


def _top_up(graph: nx.Graph, small: set[str], donor: set[str], size: dict[str, int]) -> None:
    """Move the donor's units most tied to ``small`` into it until it has ``PART_MIN`` workers,
    while the donor keeps at least as many."""

    def workers(c: set[str]) -> int:
        return sum(size[u] for u in c)

    while workers(small) < PART_MIN:
        movable = [u for u in sorted(donor) if workers(donor) - size[u] >= PART_MIN]
        if not movable:
            return
        best = max(movable, key=lambda u: (sum(graph[u][v]["weight"] for v in graph[u] if v in small), -size[u]))
        donor.remove(best)
        small.add(best)


def _ordered(graph: nx.Graph, nodes: set[str]) -> nx.Graph:
    """The subgraph on ``nodes`` with its nodes and edges in a fixed order (a subgraph view
    iterates its node set, whose order follows string hashes, so differs from process to process)."""
    sub = nx.Graph()
    order = sorted(nodes)
    sub.add_nodes_from(order)
    sub.add_edges_from((u, v, d) for u in order for v, d in graph[u].items() if v in nodes)
    return sub


def _clients_to_parts(
    instance: Instance,
    groups: list[list[str]],
    worker_part: dict[str, str],
    where: dict[str, np.ndarray],
    visits_of: Counter[str],
) -> dict[str, str]:
    """Each client group to the part of most of its link workers (by visits), else to the part
    whose workers live nearest among those with the skills its visits need."""
    clients = {c.id: c for c in instance.clients}
    skills_of: dict[str, set[str]] = defaultdict(set)
    for worker in instance.workers:
        skills_of[worker_part[worker.id]].update(worker.skills)
    needs: dict[str, set[str]] = defaultdict(set)
    for v in instance.visits:
        needs[v.client].update(v.skills)
    part_workers: dict[str, list[str]] = defaultdict(list)
    for w, p in worker_part.items():
        part_workers[p].append(w)
    part_ids = sorted(part_workers)
    client_part: dict[str, str] = {}
    for group in groups:
        votes: dict[str, float] = defaultdict(float)
        for c in group:
            for wid in clients[c].link_workers:
                if wid in worker_part:
                    votes[worker_part[wid]] += visits_of[c] / len(clients[c].link_workers)
        need = set().union(*(needs[c] for c in group))
        able = [p for p in part_ids if need <= skills_of[p]] or part_ids
        if votes:
            pick = max(votes, key=lambda p: (votes[p], p in able, -part_ids.index(p)))
        else:
            centre = np.mean([where[c] for c in group], axis=0)
            pick = min(able, key=lambda p: (_nearest(centre, [where[w] for w in part_workers[p]]), p))
        client_part.update((c, pick) for c in group)
    return client_part


def _nearest(point: np.ndarray, homes: list[np.ndarray], k: int = 3) -> float:
    """The mean distance from a point to its ``k`` nearest homes."""
    dist = np.sort(np.linalg.norm(np.array(homes) - point, axis=1))
    return float(np.mean(dist[:k]))


def _roles_to_parts(instance: Instance, worker_part: dict[str, str]) -> dict[str, str]:
    """Each role to the part whose workers held it most (role history), else to the part with the
    fewest role minutes a worker so far among those with enough workers of its skills."""
    held: dict[str, Counter[str]] = defaultdict(Counter)
    for h in instance.role_history:
        if h.worker in worker_part:
            held[h.role][worker_part[h.worker]] += 1
    headcount = Counter(worker_part.values())
    load: dict[str, float] = defaultdict(float)
    role_part: dict[str, str] = {}
    for role in instance.roles:
        able = [
            p
            for p in sorted(headcount)
            if sum(1 for w in instance.workers if worker_part[w.id] == p and set(role.skills) <= set(w.skills))
            >= role.holders
        ] or sorted(headcount)
        if held[role.id]:
            pick = max(held[role.id], key=lambda p: (held[role.id][p], p in able, p))
        else:
            pick = min(able, key=lambda p: (load[p] / headcount[p], p))
        role_part[role.id] = pick
        load[pick] += role.minutes_per_week * role.holders
    return role_part
