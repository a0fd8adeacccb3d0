"""Reports: polars tables of a rota whose totals agree with the solution's KPIs and objective."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.factory import client, hand_rota, instance, rules, visit, worker
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.outputs.reports import build_reports

ROOT = Path(__file__).resolve().parent.parent
WEEK = ROOT / "instances" / "week.json"
PLAN = ROOT / "instances" / "week.plan.json"


@pytest.fixture(scope="module")
def week_reports():  # type: ignore[no-untyped-def]
    inst, sol = load_instance(WEEK), load_solution(PLAN)
    return inst, sol, build_reports(inst, sol)


def test_totals_equal_the_kpis_and_the_objective(week_reports) -> None:  # type: ignore[no-untyped-def]
    inst, sol, rep = week_reports
    kpis = rep.report.kpis
    assert rep.costs["cost"].sum() == pytest.approx(rep.report.objective) == sol.objective
    assert rep.workers["travel_minutes"].sum() == kpis["travel_minutes"]
    assert rep.workers["visit_minutes"].sum() == kpis["visit_minutes"]
    assert rep.workers["visits"].sum() == sum(len(a.workers) for a in sol.visits)
    assert rep.clients["covered"].sum() == kpis["visits_covered"]
    assert rep.clients["visits"].sum() == len(inst.visits)
    assert rep.workers["breaks"].sum() == len(sol.breaks)
    assert rep.workers["wishes_kept"].sum() == kpis["wishes_kept"]
    assert rep.workers["wishes_broken"].sum() == kpis["wishes_broken"]
    assert dict(rep.workers.select("worker", "minutes_vs_contract").iter_rows()) == kpis["minutes_vs_contract"]
    per_rule = dict(rep.costs.group_by("rule").agg(pl.col("cost").sum()).iter_rows())
    assert {r: c for r, c in per_rule.items() if c} == {r: c for r, c in rep.report.penalties.items() if c}
    # worker and client costs are their share of the rule costs
    assert rep.workers["cost"].sum() == rep.costs.filter(pl.col("kind") == "worker")["cost"].sum()
    assert rep.clients["cost"].sum() == rep.costs.filter(pl.col("kind") == "client")["cost"].sum()


def test_an_uncovered_visit_is_charged_to_its_client() -> None:
    inst = instance(
        [worker("w1")],
        [client("c1"), client("c2", "B")],
        [visit("v1", "c1", "08:00"), visit("v2", "c2", "08:00")],
    )
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"])})
    rep = build_reports(inst, rota, rules())
    coverage = rep.costs.filter(pl.col("rule") == "coverage")
    assert coverage.select("kind", "owner", "subject").rows() == [("client", "c2", "v2")]
    row = rep.clients.filter(pl.col("client") == "c2").row(0, named=True)
    assert row["covered"] == 0 and row["cost"] == coverage["cost"].sum() > 0
    assert rep.clients.filter(pl.col("client") == "c1")["workers"].item() == "w1"


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_cli_writes_each_table(fmt: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(WEEK), str(PLAN), "--format", fmt, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    read = {"csv": pl.read_csv, "parquet": pl.read_parquet, "json": pl.read_json}[fmt]
    workers = read(tmp_path / f"workers.{fmt}")
    assert workers.height == 12 and "minutes_vs_contract" in workers.columns
    costs = read(tmp_path / f"costs.{fmt}")
    assert costs["cost"].sum() == pytest.approx(load_solution(PLAN).objective)


def test_cli_table_states_the_objective(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(WEEK), str(PLAN)])
    assert res.exit_code == 0, res.output
    assert "Workers' week" in res.output and "= sum of the costs" in res.output


def test_cli_bad_solution_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"status": "FEASIBLE"}', encoding="utf-8")
    res = CliRunner().invoke(app, ["report", str(WEEK), str(bad)])
    assert res.exit_code == 2
