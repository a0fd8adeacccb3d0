"""The command line's tables are readable at 80 columns (and at 120): no line wider than the
console, worker names and headers whole, numbers right-aligned, a reason at most two lines, and
low-value columns left out (and named) when the console is narrow.

The data is real: a small week solved once (uncovered visits with their reasons, a new starter
with a long name, two team roles), explain's findings on it, and its report tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from factory import FAST, client, instance, rules, visit, worker
from selforg_scheduler.cli import app
from selforg_scheduler.cli.tables import (
    buddy_groups_table,
    costs_table,
    findings_table,
    frame_table,
    outcomes_table,
    role_plan_table,
    unassigned_table,
    validation_table,
    worker_rows,
    workers_table,
)
from selforg_scheduler.contract.solution import RoleAssignment
from selforg_scheduler.modes.buddies import BuddyGroup, BuddyPlan
from selforg_scheduler.modes.explain import Finding, diagnose
from selforg_scheduler.modes.many import Outcome
from selforg_scheduler.modes.rotation import RolePlan
from selforg_scheduler.outputs.reports import build_reports
from selforg_scheduler.pipeline.solve import solve_detailed
from selforg_scheduler.rules.validator import validate

WIDTHS = (80, 120)
LONG_NAME = "Bartholomew Northcott-Pidgeon"
NAMES = ("Esther Ellacott", LONG_NAME + " (new)", "Kasia Tucker")
FRAME_LINES = 7
"""Lines of a table that are not rows: title, top border, header, rule, bottom border, caption (2)."""


def _named(wid: str, name: str, **kw: Any) -> dict[str, Any]:
    return {**worker(wid, **kw), "name": name}


def small_week() -> Any:
    """Three workers (one a new starter with a long name), four clients, ten visits of which six
    cannot be covered for different reasons, and two team roles."""
    return instance(
        [
            _named("w1", "Esther Ellacott", skills=["medication"]),
            _named("w2", LONG_NAME, new_starter=True),
            _named("w3", "Kasia Tucker"),
        ],
        [
            client("c1", name="Mrs K. Westcott"),
            client("c2", "B", name="Mr J. Ashworth"),
            client("c3", "C", excluded_workers=["w1", "w2", "w3"]),
            client("c4", "D", name="Ms L. Brimblecombe"),
        ],
        [
            visit("v1", "c1", "08:00", skills=["peg_feeding"]),
            visit("v2", "c2", "09:00", workers_required=2, skills=["medication"]),
            visit("v3", "c4", "21:00"),
            visit("v4", "c3", "10:00"),
            visit("v5", "c4", "16:00", duration=60),
            visit("v6", "c1", "06:00"),
            visit("ok1", "c1", "10:00"),
            visit("ok2", "c2", "11:00", skills=["medication"]),
            visit("ok3", "c4", "12:00", duration=45),
            visit("ok4", "c2", "13:00"),
        ],
        roles=[{"id": "sched", "name": "Scheduler"}, {"id": "coord", "name": "Rota coordinator"}],
    )


@pytest.fixture(scope="module")
def week() -> Any:
    inst = small_week()
    rule_set = rules()
    sol = solve_detailed(inst, rule_set, FAST).solution
    # the roles no one could hold this one-day week, held by hand: a long roles cell
    sol.roles = [RoleAssignment(week_start=inst.horizon.start, role=r, worker="w1") for r in ("sched", "coord")]
    return inst, sol, build_reports(inst, sol, rule_set), validate(inst, sol, rule_set)


def render(table: Table, width: int) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    console.print(table)
    return console.export_text().rstrip("\n").split("\n")


def assert_fits(lines: Sequence[str], width: int) -> None:
    widest = max(lines, key=cell_len)
    assert cell_len(widest) <= width, widest


def header_line(lines: Sequence[str]) -> str:
    """The line of column headers (after the top border)."""
    top = next(k for k, line in enumerate(lines) if line.startswith("┏"))
    return lines[top + 1]


def assert_headers_whole(table: Table, lines: Sequence[str]) -> None:
    cells = [cell.strip() for cell in header_line(lines).strip("┃").split("┃")]
    assert cells == [str(c.header) for c in table.columns]


# --- solve's tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_workers_table_keeps_names_whole_and_fits(week, width):
    _, _, reports, _ = week
    table = workers_table(reports.workers, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    text = "\n".join(lines)
    for name in NAMES:
        assert name in text
    assert "…" not in text
    shown = [str(c.header) for c in table.columns]
    assert shown[:2] == ["worker", "name"] and "visits" in shown and "visit h" in shown
    for col in table.columns:
        numeric = str(col.header) not in ("worker", "name", "roles")
        assert col.justify == ("right" if numeric else "left"), col.header
    rows = worker_rows(reports.workers)
    assert len(lines) <= len(rows) + FRAME_LINES
    if len(shown) < 10:  # what was left out is said
        assert "not shown at this width" in text


def test_workers_table_shows_more_at_120_than_at_80_and_everything_at_200(week):
    _, _, reports, _ = week
    at = {w: [str(c.header) for c in workers_table(reports.workers, w).columns] for w in (80, 120, 200)}
    assert len(at[80]) < len(at[120]) <= len(at[200]) == 10
    assert "Scheduler, Rota coordinator" in "\n".join(render(workers_table(reports.workers, 200), 200))


@pytest.mark.parametrize("width", WIDTHS)
def test_unassigned_reasons_take_at_most_two_lines_each(week, width):
    _, sol, _, _ = week
    n = len(sol.unassigned)
    assert n >= 6
    table = unassigned_table(sol, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    assert len(lines) <= 2 * n + FRAME_LINES
    top = next(k for k, line in enumerate(lines) if line.startswith("┡"))
    bottom = next(k for k, line in enumerate(lines) if line.startswith("└"))
    body = lines[top + 1 : bottom]
    starts = [k for k, line in enumerate(body) if line[1:].strip() and not line[1:].startswith(" " * 3)]
    firsts = [body[k].strip("│ ").split()[0] for k in starts]
    assert firsts == [u.visit for u in sol.unassigned]  # every visit id whole, one row each
    row_heights = [b - a for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    assert max(row_heights) <= 2, row_heights


@pytest.mark.parametrize("width", WIDTHS)
def test_costs_and_validation_tables_fit_with_numbers_right_aligned(week, width):
    _, sol, _, report = week
    for table in (costs_table(sol, width), validation_table(report, width)):
        lines = render(table, width)
        assert_fits(lines, width)
        assert_headers_whole(table, lines)
        assert table.columns[1].justify == "right"
    text = "\n".join(render(costs_table(sol, width), width))
    assert "mean_distinct_workers_per_client" in text  # the longest KPI name, whole


# --- explain -------------------------------------------------------------------------------------

CONFLICT = Finding(
    "conflict",
    "v7, v8, v9",
    "Visits v7 (Mrs K. Westcott, Mon 08:00, medication), v8 (Mr J. Ashworth, Mon 08:10, medication) "
    "and v9 (Ms L. Brimblecombe, Mon 08:20, medication) cannot all be covered together: only w1 could "
    "do them, and w1 cannot fit them all; w2's agreed start no earlier than 09:15 on Mon 30 Nov stands "
    "in the way, and w3's daily limit of 400 working minutes on Mon 30 Nov stands in the way",
)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    found = diagnose(small_week(), rules())
    assert len(found) >= 5
    return [*found, CONFLICT]


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_table_of_n_reasons_takes_at_most_two_lines_a_reason(findings, width):
    n = len(findings)
    table = findings_table(findings, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    assert len(lines) <= 2 * n + FRAME_LINES, "\n".join(lines)
    text = "\n".join(lines)
    # the solver's week's sentences are whole; only the long conflict is cut (and the caption says so)
    why = " ".join(line.split("│")[-2].strip() for line in _body(lines))  # the last column, row after row
    for f in findings[:-1]:
        assert " ".join(f.sentence.split()) in why
    assert sum("…" in line for line in _body(lines)) == 1
    assert "cut to fit" in text
    if width >= 120:  # room for every column
        assert [str(c.header) for c in table.columns] == ["kind", "about", "why"]


def _body(lines: Sequence[str]) -> list[str]:
    """The rows' lines: between the header's rule and the bottom border."""
    top = next(k for k, line in enumerate(lines) if line.startswith("┡"))
    bottom = next(k for k, line in enumerate(lines) if line.startswith("└"))
    return list(lines[top + 1 : bottom])


def test_explain_command_at_80_columns(tmp_path, monkeypatch):
    import json

    from selforg_scheduler.cli import common

    monkeypatch.setattr(common.out, "width", 80)
    inst = small_week()
    path = tmp_path / "week.json"
    path.write_text(json.dumps(inst.model_dump(mode="json")), encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(path), "--no-conflicts"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").split("\n")
    n = len(diagnose(inst, rules()))
    assert max(cell_len(line) for line in lines) <= 80
    assert len(lines) <= 2 * n + FRAME_LINES, result.stdout


# --- report tables (any polars frame) ------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["workers", "clients", "costs"])
def test_report_frames_fit_and_name_what_they_leave_out(week, width, which):
    _, _, reports, _ = week
    frame = reports.tables()[which]
    table = frame_table(which, frame, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    assert len(lines) <= frame.height + FRAME_LINES
    shown = len(table.columns)
    assert shown >= 2
    if shown < frame.width:
        assert "not shown at this width" in "\n".join(lines)
    if which == "workers":
        text = "\n".join(lines)
        for name in (n.removesuffix(" (new)") for n in NAMES):
            assert name in text
        assert {"worker", "name", "visits", "cost"} <= {str(c.header) for c in table.columns}


# --- solve-many, pair-buddies, rotate-roles ------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_outcomes_table_fits_with_a_long_problem(width):
    outcomes = [
        Outcome("exeter-north.json", "exeter-north", "FEASIBLE", 450, 448, 9560.0, True, 30.2, "s/a.json"),
        Outcome("team-2.json", "team-2", "OPTIMAL", 120, 120, 1234.0, True, 4.1, "s/b.json"),
        Outcome(
            "broken.json",
            "",
            "INPUT_ERROR",
            0,
            0,
            None,
            False,
            0.0,
            "",
            "broken.json: visits[v0013].duration_min: Input should be greater than 0 (and 2 more problems)",
        ),  # fmt: skip
    ]
    table = outcomes_table(outcomes, "local", width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    text = "\n".join(lines)
    for o in outcomes:
        assert o.instance in text and o.status in text
    assert len(lines) <= 2 * len(outcomes) + FRAME_LINES


@pytest.mark.parametrize("width", WIDTHS)
def test_buddy_and_role_tables_fit(width):
    plan = BuddyPlan(
        [
            BuddyGroup(["w01", "w07"], 42, True, ["share 21 h of working time (+42)", "kept from last term"]),
            BuddyGroup(
                ["w02", "w05", "w11"],
                17,
                False,
                [
                    "share 9 h of working time (+18)",
                    "new starter w11 with experienced w02 (+10)",
                    "both work 3 h after 20:00, for late check-ins (+6), and w05 asked for w02 as a buddy (+5)",
                ],
            ),  # fmt: skip
        ]
    )
    table = buddy_groups_table(plan, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    assert "w02 + w05 + w11" in "\n".join(lines)

    names = {"sched": "Scheduler", "coord": "Rota coordinator", "money": "Budget holder", "hr": "Recruitment lead"}
    holders = [{rid: [f"w0{(k + i) % 9 + 1}"] for i, rid in enumerate(names)} for k in range(6)]
    roles = RolePlan(start=dt.date(2026, 11, 30), roles=list(names), holders=holders)
    table = role_plan_table(roles, names, 6, 4, width)
    lines = render(table, width)
    assert_fits(lines, width)
    assert_headers_whole(table, lines)
    text = "\n".join(lines)
    assert "2026-11-30" in text and "w01" in text
    for rid, name in names.items():  # each role named in full: as a header, or in the caption
        assert name in text or f"{rid}: {name}" in " ".join(text.split())
