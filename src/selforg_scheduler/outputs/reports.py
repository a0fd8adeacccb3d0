"""Reports of a rota as polars tables: each worker's week, each client's week, and what each soft
rule cost whom.

Everything is recomputed from the instance and the solution by the validator's own pieces (no
solver), so the tables agree with the solution's KPIs and objective: the workers' travel adds up
to ``kpis.travel_minutes``, the costs add up to the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.rota import Rota, rota_from_solution
from selforg_scheduler.core.workday import route_travel
from selforg_scheduler.outputs.files import atomic_path, inside, unique_names
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.validator import ValidationReport, evaluate

__all__ = ["FileFormat", "Reports", "build_reports", "write_reports"]

FileFormat = Literal["csv", "parquet", "json"]


@dataclass(frozen=True)
class Reports:
    """The three tables, and the validator's report they come from."""

    workers: pl.DataFrame
    clients: pl.DataFrame
    costs: pl.DataFrame
    report: ValidationReport

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"workers": self.workers, "clients": self.clients, "costs": self.costs}


def build_reports(instance: Instance, solution: Solution, rules: RuleSet | None = None) -> Reports:
    rules = rules or default_rules()
    problem = compile_problem(instance, rules.resolution)
    report = evaluate(problem, rules, solution)
    rota = rota_from_solution(problem, solution, travel_on=rules.travel_on)
    costs = _costs(problem, report)
    return Reports(
        _workers(problem, rules, rota, solution, report, costs), _clients(problem, rota, costs), costs, report
    )


def _minutes(p: Problem, ticks: float) -> float:
    return ticks if p.unit == 1 else round(ticks / p.unit, 3)


def _costs(p: Problem, report: ValidationReport) -> pl.DataFrame:
    """One row per (rule, subject): who owes the cost, as a worker, client or the whole team.

    A visit's cost (uncovered, late) is owed by its client."""
    rows = []
    for rule, by_subject in report.cost_by_subject.items():
        for subject, cost in by_subject.items():
            if subject in p.worker_index:
                kind, owner = "worker", subject
            elif subject in p.visit_index:
                kind, owner = "client", p.clients[p.visits[p.visit_index[subject]].client].id
            elif subject in p.client_index:
                kind, owner = "client", subject
            else:
                kind, owner = "team", subject
            rows.append({"rule": rule, "kind": kind, "owner": owner, "subject": subject, "cost": float(cost)})
    schema = {"rule": pl.String, "kind": pl.String, "owner": pl.String, "subject": pl.String, "cost": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("rule", "kind", "owner", "subject")


def _owed(costs: pl.DataFrame, kind: str) -> dict[str, float]:
    by = costs.filter(pl.col("kind") == kind).group_by("owner").agg(pl.col("cost").sum())
    return dict(zip(by["owner"].to_list(), by["cost"].to_list(), strict=True))


def _workers(
    p: Problem, rules: RuleSet, rota: Rota, solution: Solution, report: ValidationReport, costs: pl.DataFrame
) -> pl.DataFrame:
    vs_contract = report.kpis.get("minutes_vs_contract", {})
    unsociable = report.kpis.get("unsociable_visits", {})
    owed = _owed(costs, "worker")
    breaks: dict[str, int] = {}
    for b in solution.breaks:
        breaks[b.worker] = breaks.get(b.worker, 0) + 1
    rows = []
    for wd in p.workers:
        w = wd.index
        days = sorted(day for (x, day), route in rota.routes.items() if x == w and route)
        visits = [v for day in days for v in rota.routes[(w, day)]]
        travel = sum(route_travel(rota, w, rota.routes[(w, day)]) for day in days)
        figures = {"wishes_kept": 0, "wishes_broken": 0} | rules.worker_figures(rota, w)
        rows.append(
            {
                "worker": wd.id,
                "name": wd.name,
                "new_starter": wd.new_starter,
                "roles": ", ".join(p.roles[r].name or p.roles[r].id for r in rota.held.get(w, ())),
                "days_worked": len(days),
                "visits": len(visits),
                "visit_minutes": float(sum(p.visits[v].minutes for v in visits)),
                "travel_minutes": float(_minutes(p, travel)),
                "contract_minutes": float(_minutes(p, wd.contract)),
                "minutes_vs_contract": float(vs_contract[wd.id]) if wd.id in vs_contract else None,
                "unsociable_visits": unsociable.get(wd.id),  # None: not counted (no contract, or rule off)
                "breaks": breaks.get(wd.id, 0),
                "wishes_kept": figures["wishes_kept"],
                "wishes_broken": figures["wishes_broken"],
                "cost": float(owed.get(wd.id, 0.0)),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def _clients(p: Problem, rota: Rota, costs: pl.DataFrame) -> pl.DataFrame:
    owed = _owed(costs, "client")
    rows = []
    for c in p.clients:
        covered = [v for v in c.visits if len(rota.crew.get(v, ())) == p.visits[v].required]
        seen = sorted({w for v in c.visits for w in rota.crew.get(v, ())})
        by_link = sum(1 for v in covered if any(w in c.link_workers for w in rota.crew[v]))
        rows.append(
            {
                "client": c.id,
                "name": c.name,
                "visits": len(c.visits),
                "covered": len(covered),
                "workers_seen": len(seen),
                "workers": ", ".join(p.workers[w].id for w in seen),
                "link_worker_share": round(by_link / len(covered), 4) if covered else None,
                "cost": float(owed.get(c.id, 0.0)),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def write_reports(reports: Reports, out: Path, fmt: FileFormat) -> list[Path]:
    """Write each table as ``workers.csv`` (or .parquet / .json) in ``out``; returns the paths.
    Each file is written atomically, and its name checked to stay in ``out``."""
    if fmt not in ("csv", "parquet", "json"):
        raise ValueError(f"cannot write format {fmt!r} to a file")
    tables = reports.tables()
    names = unique_names(tables, f".{fmt}")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = inside(out, names[name])
        with atomic_path(path) as tmp:
            if fmt == "csv":
                frame.write_csv(tmp)
            elif fmt == "parquet":
                frame.write_parquet(tmp)
            else:
                frame.write_json(tmp)
        paths.append(path)
    return paths
