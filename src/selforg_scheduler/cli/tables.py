"""The rich tables and summary lines the commands print.

Per-worker and per-client figures are not computed here: they are read from the polars tables
of :mod:`selforg_scheduler.outputs.reports`, so the terminal and the report files agree.

Every table fits the console's width (80 columns included) through :func:`fitted_table`: each
column but the long-text one is as wide as its widest cell and header and never wraps (names,
ids and numbers stay whole; numbers right-aligned); the long-text column (a reason, a sentence)
gets the width left and wraps on words, at most ``max_lines`` lines a row (cut with "…" beyond,
which the caption says); when that is not enough, columns of low value are left out, widest
tables first losing what matters least (the caption names them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
    "WORKER_COLUMNS", "Col", "buddy_groups_table", "costs_table", "findings_table", "fitted_table", "frame_table",
    "outcomes_table", "print_buddy_groups", "print_costs", "print_findings", "print_frame", "print_outcomes",
    "print_role_plan", "print_status", "print_unassigned", "print_unfilled_roles", "print_validation",
    "print_violations", "print_workers", "role_plan_table", "unassigned_table", "validation_table", "worker_rows",
    "workers_table",
]  # fmt: skip

WORKER_COLUMNS = ("worker", "name", "roles", "days", "visits", "visit h", "contract h", "+/- h", "breaks", "unsoc.")
"""The workers table of ``solve``; each cell comes from a column of the reports' workers table."""

MAX_LINES = 2
"""Lines a row's long text (a reason, a sentence) may take; beyond, it is cut with "…"."""
MIN_TEXT = 24
"""The narrowest a long-text column gets before low-value columns are left out for it."""
ELLIPSIS = "…"

Cell = str | Text


@dataclass(frozen=True)
class Col:
    """A column of a :func:`fitted_table`."""

    header: str
    right: bool = False
    """Right-aligned (numbers)."""
    drop: int = 0
    """0: always shown; otherwise left out when the table does not fit, the highest first."""
    text: bool = False
    """Long text (at most one such column): gets the width left, wraps on words."""


def _width(cell: Cell) -> int:
    text = cell if isinstance(cell, Text) else Text(cell)
    return max((line.cell_len for line in text.split("\n")), default=0)


def _text(cell: Cell) -> Text:
    return cell.copy() if isinstance(cell, Text) else Text(cell)


def _lines(cell: Text, width: int, console: Console) -> list[Text]:
    out_lines: list[Text] = []
    for part in cell.split("\n", allow_blank=True):
        out_lines.extend(part.wrap(console, width, overflow="fold"))
    return out_lines or [Text("")]


def _cut(cell: Text, width: int, max_lines: int | None, console: Console) -> tuple[Text, bool]:
    """The cell wrapped to ``width``, cut to ``max_lines`` lines with an ellipsis; and whether it
    was cut."""
    lines = _lines(cell, width, console)
    if max_lines is None or len(lines) <= max_lines:
        return cell, False
    kept = [line.copy() for line in lines[:max_lines]]
    last = kept[-1]
    last.rstrip()
    if last.cell_len > width - 1:
        last.truncate(width - 1)
        last.rstrip()
    last.append(ELLIPSIS)
    for line in kept[:-1]:
        line.rstrip()
    return Text("\n").join(kept), True


def fitted_table(
    title: str,
    cols: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    max_lines: int | None = MAX_LINES,
    caption: str | None = None,
    cut_note: str = "cut to fit; a wider terminal shows it whole",
    show_lines: bool = False,
) -> Table:
    """A table of ``rows`` that fits ``width`` columns (see the module's docstring)."""
    console = Console(width=max(width, 20))
    text_at = next((i for i, c in enumerate(cols) if c.text), None)
    natural = [max([cell_len(c.header), *(_width(row[i]) for row in rows)]) for i, c in enumerate(cols)]
    shown = list(range(len(cols)))

    texts = [_text(row[text_at]) for row in rows] if text_at is not None else []

    def text_width(keep: list[int]) -> int:
        fixed = sum(natural[i] for i in keep if i != text_at)
        return width - fixed - (3 * len(keep) + 1)

    def too_long(keep: list[int]) -> list[bool]:
        """Per row, whether its text needs more than ``max_lines`` lines."""
        tw = max(1, text_width(keep))
        return [max_lines is not None and len(_lines(t, tw, console)) > max_lines for t in texts]

    # Rows too long even with every low-value column left out are cut anyway: they leave nothing out.
    hopeless = too_long([i for i in shown if not cols[i].drop]) if text_at is not None else []

    def fits(keep: list[int]) -> bool:
        if text_at is None or text_at not in keep:
            return sum(natural[i] for i in keep) + 3 * len(keep) + 1 <= width
        if text_width(keep) < min(MIN_TEXT, natural[text_at]):
            return False
        return not any(long and not lost for long, lost in zip(too_long(keep), hopeless, strict=True))

    while not fits(shown):
        droppable = [i for i in shown if cols[i].drop]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (cols[i].drop, i)))
    dropped = [i for i in range(len(cols)) if i not in shown]

    cut = False
    table = Table(title=title, show_lines=show_lines)
    widths = {i: natural[i] for i in shown}
    if text_at is not None and text_at in shown:
        widths[text_at] = max(cell_len(cols[text_at].header), min(natural[text_at], text_width(shown)))
    for i in shown:
        c = cols[i]
        if i == text_at:
            table.add_column(c.header, width=widths[i], overflow="fold")
        else:
            table.add_column(
                c.header,
                justify="right" if c.right else "left",
                width=widths[i],
                no_wrap=True,
                overflow="ellipsis",
            )
    for r, row in enumerate(rows):
        cells: list[Cell] = []
        for i in shown:
            if i == text_at:
                text, was_cut = _cut(texts[r], widths[i], max_lines, console)
                cut = cut or was_cut
                cells.append(text)
            else:
                cells.append(_text(row[i]))
        table.add_row(*cells)
    notes = [caption] if caption else []
    if dropped:
        notes.append("not shown at this width: " + ", ".join(cols[i].header for i in dropped))
    if cut:
        notes.append(f"{ELLIPSIS} {cut_note}")
    if notes:
        table.caption = "; ".join(notes)
    return table


def _console(console: Console | None) -> Console:
    return out if console is None else console


# --- solve ---------------------------------------------------------------------------------------


def print_status(sol: Solution, console: Console | None = None) -> None:
    line = Text(sol.summary())
    line.highlight_words([sol.status], style="bold")
    _console(console).print(line, highlight=False, soft_wrap=True)


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


WORKER_COLS = (
    Col("worker"),
    Col("name"),
    Col("roles", drop=4),
    Col("days", right=True, drop=3),
    Col("visits", right=True),
    Col("visit h", right=True),
    Col("contract h", right=True, drop=5),
    Col("+/- h", right=True, drop=2),
    Col("breaks", right=True, drop=7),
    Col("unsoc.", right=True, drop=6),
)
"""The columns of :data:`WORKER_COLUMNS`; on a narrow console breaks go first, then unsociable
visits, contract hours, roles, days and the balance against the contract."""


def workers_table(workers: pl.DataFrame, width: int) -> Table:
    """The week of each worker (``solve``), fitted to ``width``."""
    return fitted_table("Workers this week", WORKER_COLS, worker_rows(workers), width)


def print_workers(workers: pl.DataFrame, console: Console | None = None) -> None:
    """The week of each worker, from the workers table of :func:`~selforg_scheduler.outputs.reports.build_reports`."""
    c = _console(console)
    c.print(workers_table(workers, c.width))


def print_unfilled_roles(sol: Solution, console: Console | None = None) -> None:
    for short in sol.unfilled_roles:
        _console(console).print(
            f"role {short.role} unfilled ({short.missing} missing): {short.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def costs_table(sol: Solution, width: int) -> Table:
    """What each rule cost, then the KPIs (per-worker figures are in the workers table)."""
    rows: list[tuple[str, str]] = [(name, f"{cost:,}") for name, cost in sol.penalties.items() if cost]
    section = len(rows)
    rows += [(name, f"{value:,}") for name, value in sol.kpis.items() if not isinstance(value, dict)]
    table = fitted_table("Cost by rule and KPIs", (Col("rule / KPI"), Col("value", right=True)), rows, width)
    if 0 < section < len(rows):
        table.rows[section - 1].end_section = True
    return table


def print_costs(sol: Solution, console: Console | None = None) -> None:
    c = _console(console)
    c.print(costs_table(sol, c.width))


def unassigned_table(sol: Solution, width: int, limit: int = 20) -> Table:
    """The uncovered visits and why (the first ``limit``)."""
    rows: list[tuple[str, str]] = [(u.visit, u.reason) for u in sol.unassigned[:limit]]
    if len(sol.unassigned) > limit:
        rows.append(("...", f"{len(sol.unassigned) - limit} more in the rota file"))
    return fitted_table(
        f"Unassigned visits ({len(sol.unassigned)})",
        (Col("visit"), Col("reason", text=True)),
        rows,
        width,
        cut_note="cut to fit; the rota file has every reason whole",
    )


def print_unassigned(sol: Solution, limit: int = 20, console: Console | None = None) -> None:
    if not sol.unassigned:
        return
    c = _console(console)
    c.print(unassigned_table(sol, c.width, limit))


# --- validate ------------------------------------------------------------------------------------


def print_violations(report: ValidationReport) -> None:
    """A solve's or repair's hard violations, one line each on stderr."""
    for violation in report.violations:
        err.print(f"{violation}", markup=False, highlight=False)


def validation_table(report: ValidationReport, width: int) -> Table:
    rows: list[tuple[Cell, Cell]] = [(name, f"{cost:,}") for name, cost in report.penalties.items()]
    rows.append((Text("objective", style="bold"), Text(f"{report.objective:,}", style="bold")))
    return fitted_table("Recomputed cost by rule", (Col("rule"), Col("cost", right=True)), rows, width)


def print_validation(report: ValidationReport, sol: Solution, console: Console | None = None) -> None:
    c = _console(console)
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    for violation in report.violations:
        c.print(str(violation), markup=False, highlight=False)
    c.print(validation_table(report, c.width))
    verdict = "valid" if report.ok else f"INVALID: {len(report.violations)} hard violation(s)"
    stated = "-" if sol.objective is None else f"{sol.objective:,}"
    c.print(f"{verdict}; objective {report.objective:,} (the rota states {stated})", highlight=False, soft_wrap=True)


# --- any polars table (report, repair's diff) ----------------------------------------------------

SHORT_HEADERS: Mapping[str, str] = {
    "new_starter": "new", "days_worked": "days", "visit_minutes": "visit min", "travel_minutes": "travel min",
    "contract_minutes": "contract", "minutes_vs_contract": "+/- min", "unsociable_visits": "unsoc.",
    "wishes_kept": "wishes", "wishes_broken": "broken", "workers_seen": "seen", "link_worker_share": "link",
}  # fmt: skip
"""Shorter terminal headers of the report tables' columns (the files keep the full names)."""
DROP_FIRST = (
    "new_starter", "breaks", "wishes_kept", "wishes_broken", "unsociable_visits", "days_worked", "roles",
    "contract_minutes", "workers", "workers_seen", "subject", "kind",
)  # fmt: skip
"""Columns of the report tables left out first on a narrow console, in this order (then any
other column from the right, :data:`DROP_LAST` last; never the first two)."""
DROP_LAST = ("cost",)
TEXT_AFTER = 30
"""A text column with a cell longer than this wraps (lists of workers, roles); others never do."""


def frame_table(title: str, frame: pl.DataFrame, width: int) -> Table:
    """Any polars table: numbers right-aligned (floats to six significant digits), yes/no for
    booleans, known long headers shortened (:data:`SHORT_HEADERS`); when it does not fit,
    columns are left out (:data:`DROP_FIRST`, then from the right; never the first two), and the
    caption names them."""

    def cell(x: object) -> str:
        if x is None:
            return ""
        if isinstance(x, bool):
            return "yes" if x else "no"
        return f"{x:,.6g}" if isinstance(x, float) else str(x)

    def drop(k: int, name: str) -> int:
        if k < 2:
            return 0
        if name in DROP_FIRST:
            return len(frame.columns) + len(DROP_FIRST) - DROP_FIRST.index(name)
        return 1 if name in DROP_LAST else k

    rows = [tuple(cell(x) for x in row) for row in frame.iter_rows()]
    longest = {name: max((len(r[k]) for r in rows), default=0) for k, (name, dtype) in enumerate(frame.schema.items())}
    text_col = next(
        (name for name, dtype in frame.schema.items() if not dtype.is_numeric() and longest[name] > TEXT_AFTER),
        None,
    )
    cols = [
        Col(
            SHORT_HEADERS.get(name, name),
            right=dtype.is_numeric(),
            drop=drop(k, name),
            text=name == text_col,
        )
        for k, (name, dtype) in enumerate(frame.schema.items())
    ]
    return fitted_table(title, cols, rows, width)


def print_frame(title: str, frame: pl.DataFrame, console: Console | None = None) -> None:
    """Any polars table as :func:`frame_table` fits it to the console."""
    c = _console(console)
    c.print(frame_table(title, frame, c.width))


# --- solve-many, explain -------------------------------------------------------------------------


def outcomes_table(outcomes: Sequence[Outcome], executor: str, width: int) -> Table:
    """The summary of ``solve-many``: one row per instance."""
    cols = (
        Col("instance"),
        Col("team", drop=3),
        Col("status"),
        Col("covered", right=True),
        Col("objective", right=True, drop=2),
        Col("valid", drop=4),
        Col("time s", right=True, drop=1),
        Col("problem", text=True),
    )
    rows = [
        (
            o.instance,
            o.team,
            o.status,
            f"{o.covered}/{o.visits}" if o.visits else "",
            f"{o.objective:,.0f}" if o.objective is not None else "",
            "yes" if o.valid else "no",
            f"{o.wall_s:.1f}",
            o.error,
        )  # fmt: skip
        for o in outcomes
    ]
    return fitted_table(f"{len(outcomes)} instances ({executor})", cols, rows, width)


def print_outcomes(outcomes: Sequence[Outcome], executor: str, console: Console | None = None) -> None:
    c = _console(console)
    c.print(outcomes_table(outcomes, executor, c.width))


def findings_table(findings: Sequence[Finding], width: int) -> Table:
    """The impossibilities ``explain`` found: on a narrow console the subject (the sentence names
    it), then the kind, are left out for the sentence."""
    cols = (Col("kind", drop=1), Col("about", drop=2), Col("why", text=True))
    rows = [(f.kind, f.subject, f.sentence) for f in findings]
    return fitted_table(f"Impossibilities ({len(findings)})", cols, rows, width)


def print_findings(findings: Sequence[Finding], console: Console | None = None) -> None:
    c = _console(console)
    c.print(findings_table(findings, c.width))


# --- pair-buddies, rotate-roles ------------------------------------------------------------------


def buddy_groups_table(plan: BuddyPlan, width: int) -> Table:
    """Each group, its score and every reason (one a line: not cut)."""
    cols = (Col("group"), Col("score", right=True), Col("kept", drop=1), Col("reasons", text=True))
    rows = [(" + ".join(g.members), str(g.score), "yes" if g.kept else "", "\n".join(g.reasons)) for g in plan.groups]
    return fitted_table(
        f"Buddy groups (total score {plan.total_score})", cols, rows, width, max_lines=None, show_lines=True
    )


def print_buddy_groups(plan: BuddyPlan, console: Console | None = None) -> None:
    c = _console(console)
    c.print(buddy_groups_table(plan, c.width))


def role_plan_table(plan: RolePlan, role_names: dict[str, str], weeks: int, term: int, width: int) -> Table:
    """Who holds each role week by week (a change of holder in bold). A role's header is its
    name, or its id when the names do not fit."""
    rows: list[list[Cell]] = []
    for k, week in enumerate(plan.holders):
        row: list[Cell] = [plan.week(k).isoformat()]
        for rid in plan.roles:
            before = plan.holders[k - 1][rid] if k else None
            cell = ", ".join(week[rid]) or "-"
            row.append(Text(cell, style="bold") if week[rid] != before else cell)
        rows.append(row)
    title = f"Role plan, {weeks} weeks from {plan.start} (term {term} weeks)"

    def columns(named: bool) -> list[Col]:
        return [Col("week"), *(Col(role_names.get(rid, rid) if named else rid) for rid in plan.roles)]

    def natural(cols: list[Col]) -> int:
        return sum(max([cell_len(c.header), *(_width(r[i]) for r in rows)]) + 3 for i, c in enumerate(cols)) + 1

    named = natural(columns(True)) <= width
    table = fitted_table(title, columns(named), rows, width)
    if not named and any(role_names.get(rid, rid) != rid for rid in plan.roles):
        table.caption = ", ".join(f"{rid}: {role_names.get(rid, rid)}" for rid in plan.roles)
    return table


def print_role_plan(
    plan: RolePlan, role_names: dict[str, str], weeks: int, term: int, console: Console | None = None
) -> None:
    """Who holds each role week by week (a change of holder in bold), then the plan's figures."""
    c = _console(console)
    c.print(role_plan_table(plan, role_names, weeks, term, c.width))
    counts = "  ".join(f"{w} {n}" for w, n in plan.role_weeks.items())
    c.print(f"role-weeks planned: {counts}", highlight=False, soft_wrap=True)
    proven = "proven optimal" if plan.spread_proven else f"best found; at least {plan.spread_bound}"
    c.print(
        f"spread of role-weeks with history: {plan.spread} ({proven}); planned weeks alone: {plan.planned_spread}",
        highlight=False,
    )
    for short in plan.unfilled:
        c.print(f"{short['week_start']} {short['role']} unfilled: {short['reason']}", highlight=False, soft_wrap=True)
