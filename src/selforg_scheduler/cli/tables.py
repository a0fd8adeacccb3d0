"""The rich tables and summary lines the commands print.

Per-worker and per-client figures are not computed here: they are read from the polars tables
of :mod:`selforg_scheduler.outputs.reports`, so the terminal and the report files agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

from selforg_scheduler.cli.common import err, out

if TYPE_CHECKING:
    import polars as pl

    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.modes.buddies import BuddyPlan
    from selforg_scheduler.modes.explain import Finding
    from selforg_scheduler.modes.many import Outcome
    from selforg_scheduler.modes.rotation import RolePlan
    from selforg_scheduler.rules.validator import ValidationReport

__all__ = [
    "WORKER_COLUMNS",
    "print_buddy_groups",
    "print_costs",
    "print_findings",
    "print_frame",
    "print_outcomes",
    "print_role_plan",
    "print_status",
    "print_unassigned",
    "print_unfilled_roles",
    "print_validation",
    "print_violations",
    "print_workers",
    "worker_rows",
]

WORKER_COLUMNS = ("worker", "name", "role", "days", "visits", "visit h", "contract h", "+/- h", "breaks", "unsoc.")
"""The workers table of ``solve``; each cell comes from a column of the reports' workers table."""


def print_status(sol: Solution) -> None:
    out.print(sol.summary().replace(sol.status, f"[bold]{sol.status}[/]", 1), highlight=False, soft_wrap=True)


def worker_rows(workers: pl.DataFrame) -> list[tuple[str, ...]]:
    """The cells of the workers table, one row per row of ``reports.workers``."""

    def hours(minutes: float, sign: str = "") -> str:
        return f"{minutes / 60:{sign}.1f}"

    rows: list[tuple[str, ...]] = []
    for row in workers.iter_rows(named=True):
        diff, odd = row["minutes_vs_contract"], row["unsociable_visits"]
        rows.append(
            (
                row["worker"],
                row["name"] + (" (new)" if row["new_starter"] else ""),
                row["roles"],
                str(row["days_worked"]),
                str(row["visits"]),
                hours(row["visit_minutes"]),
                hours(row["contract_minutes"]),
                "-" if diff is None else hours(diff, "+"),
                str(row["breaks"]),
                "-" if odd is None else str(odd),
            )
        )
    return rows


def print_workers(workers: pl.DataFrame) -> None:
    """The week of each worker, from the workers table of :func:`~selforg_scheduler.outputs.reports.build_reports`."""
    table = Table(title="Workers this week", show_lines=False)
    for col in WORKER_COLUMNS:
        table.add_column(col, justify="right" if col not in ("worker", "name", "role") else "left")
    for cells in worker_rows(workers):
        table.add_row(*cells)
    out.print(table)


def print_unfilled_roles(sol: Solution) -> None:
    for short in sol.unfilled_roles:
        out.print(
            f"role {short.role} unfilled ({short.missing} missing): {short.reason}", highlight=False, soft_wrap=True
        )


def print_costs(sol: Solution) -> None:
    table = Table(title="Cost by rule and KPIs")
    table.add_column("rule / KPI")
    table.add_column("value", justify="right")
    for name, cost in sol.penalties.items():
        if cost:
            table.add_row(name, f"{cost:,}")
    table.add_section()
    for name, value in sol.kpis.items():
        if not isinstance(value, dict):  # per-worker figures are in the workers table
            table.add_row(name, f"{value:,}")
    out.print(table)


def print_unassigned(sol: Solution, limit: int = 20) -> None:
    if not sol.unassigned:
        return
    table = Table(title=f"Unassigned visits ({len(sol.unassigned)})")
    table.add_column("visit")
    table.add_column("reason")
    for u in sol.unassigned[:limit]:
        table.add_row(u.visit, u.reason)
    if len(sol.unassigned) > limit:
        table.add_row("...", f"{len(sol.unassigned) - limit} more in the rota file")
    out.print(table)


def print_violations(report: ValidationReport) -> None:
    """A solve's or repair's hard violations, one line each on stderr."""
    for violation in report.violations:
        err.print(f"{violation}", markup=False, highlight=False)


def print_validation(report: ValidationReport, sol: Solution) -> None:
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    for violation in report.violations:
        out.print(str(violation), markup=False, highlight=False)
    table = Table(title="Recomputed cost by rule")
    table.add_column("rule")
    table.add_column("cost", justify="right")
    for name, cost in report.penalties.items():
        table.add_row(name, f"{cost:,}")
    table.add_row("[bold]objective[/]", f"[bold]{report.objective:,}[/]")
    out.print(table)
    verdict = "valid" if report.ok else f"INVALID: {len(report.violations)} hard violation(s)"
    stated = "-" if sol.objective is None else f"{sol.objective:,}"
    out.print(f"{verdict}; objective {report.objective:,} (the rota states {stated})", highlight=False, soft_wrap=True)


def print_frame(title: str, frame: pl.DataFrame) -> None:
    """Any polars table as it is: numbers right-aligned, floats to six significant digits."""
    table = Table(title=title)
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if x is None else f"{x:,.6g}" if isinstance(x, float) else str(x) for x in row))
    out.print(table)


def print_outcomes(outcomes: Sequence[Outcome], executor: str) -> None:
    """The summary of ``solve-many``: one row per instance."""
    table = Table(title=f"{len(outcomes)} instances ({executor})")
    for col in ("instance", "team", "status", "covered", "objective", "valid", "time s", "problem"):
        table.add_column(col, justify="right" if col in ("covered", "objective", "time s") else "left")
    for o in outcomes:
        table.add_row(
            o.instance, o.team, o.status, f"{o.covered}/{o.visits}" if o.visits else "",
            f"{o.objective:,.0f}" if o.objective is not None else "", "yes" if o.valid else "no",
            f"{o.wall_s:.1f}", o.error,
        )  # fmt: skip
    out.print(table)


def print_findings(findings: Sequence[Finding]) -> None:
    """The impossibilities ``explain`` found."""
    table = Table(title=f"Impossibilities ({len(findings)})")
    table.add_column("kind")
    table.add_column("about")
    table.add_column("why")
    for f in findings:
        table.add_row(f.kind, f.subject, f.sentence)
    out.print(table)


def print_buddy_groups(plan: BuddyPlan) -> None:
    table = Table(title=f"Buddy groups (total score {plan.total_score})", show_lines=True)
    for col in ("group", "score", "kept", "reasons"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for group in plan.groups:
        table.add_row(
            " + ".join(group.members), str(group.score), "yes" if group.kept else "", "\n".join(group.reasons)
        )
    out.print(table)


def print_role_plan(plan: RolePlan, role_names: dict[str, str], weeks: int, term: int) -> None:
    """Who holds each role week by week (a change of holder in bold), then the plan's figures."""
    table = Table(title=f"Role plan, {weeks} weeks from {plan.start} (term {term} weeks)")
    table.add_column("week")
    for rid in plan.roles:
        table.add_column(role_names[rid])
    for k, week in enumerate(plan.holders):
        row = [plan.week(k).isoformat()]
        for rid in plan.roles:
            before = plan.holders[k - 1][rid] if k else None
            cell = ", ".join(week[rid]) or "-"
            row.append(f"[bold]{cell}[/]" if week[rid] != before else cell)
        table.add_row(*row)
    out.print(table)
    counts = "  ".join(f"{w} {n}" for w, n in plan.role_weeks.items())
    out.print(f"role-weeks planned: {counts}", highlight=False, soft_wrap=True)
    proven = "proven optimal" if plan.spread_proven else f"best found; at least {plan.spread_bound}"
    out.print(
        f"spread of role-weeks with history: {plan.spread} ({proven}); planned weeks alone: {plan.planned_spread}",
        highlight=False,
    )
    for short in plan.unfilled:
        out.print(f"{short['week_start']} {short['role']} unfilled: {short['reason']}", highlight=False, soft_wrap=True)
