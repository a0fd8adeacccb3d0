"""Key performance indicators of a rota, computed from the rota alone."""

from __future__ import annotations

from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.workday import route_travel


def compute_kpis(rota: Rota) -> dict[str, int | float]:
    p = rota.problem
    total = len(p.visits)
    covered = [v for v in range(total) if len(rota.crew.get(v, ())) == p.visits[v].required]
    travel = sum(route_travel(rota, w, route) for (w, _day), route in rota.routes.items())
    distinct = []
    for client in p.clients:
        seen = {w for v in client.visits for w in rota.crew.get(v, ())}
        if seen:
            distinct.append(len(seen))
    by_link = sum(1 for v in covered if any(w in p.clients[p.visits[v].client].link_workers for w in rota.crew[v]))
    worked = sum(p.visits[v].minutes * len(rota.crew[v]) for v in rota.crew)

    def minutes(ticks: int) -> int | float:
        return ticks if p.unit == 1 else round(ticks / p.unit, 3)

    placed = set(covered)
    return {
        "visits": total,
        "visits_covered": len(covered),
        "coverage_pct": round(100.0 * len(covered) / total, 2) if total else 100.0,
        "uncovered_minutes": sum(p.visits[v].minutes for v in range(total) if v not in placed),
        "travel_minutes": minutes(travel),
        "visit_minutes": worked,
        "mean_distinct_workers_per_client": round(sum(distinct) / len(distinct), 3) if distinct else 0.0,
        "link_worker_visit_pct": round(100.0 * by_link / len(covered), 2) if covered else 0.0,
    }
