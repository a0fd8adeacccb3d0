"""Organisation scale: generated organisations of 1 to 16 teams, solved team by team in parallel;
and unlabelled pools of 60 to 500 workers, split into parts and solved the same way.

For each size: ``generate`` an organisation of ``teams`` teams of 12.5 workers and 625 visits a
team (16 teams = 200 workers and 10,000 visits asked), solve it with
:func:`selforg_scheduler.modes.org.solve_organisation` (the time limit grows with the size: 300 s for
16 teams, at least 30 s), check the merged rota with the validator, and record the times to a
first rota of every team and to within 1 % of the teams' final total, coverage and peak memory.

Writes ``benchmarks/results/scaling.json``, ``docs/scaling.png`` (matplotlib) and the "Organisation scale" section of ``docs/benchmarks.md``.

    python benchmarks/scaling.py [--teams 1,2,4,8,16] [--limit 300] [--seed 1] [--report-only]

With ``--pools 60,120,250,500``: pools of that many workers (1,500 to 20,000 visits, generated
as teams of 12 whose ``team`` labels are then removed, as an agency would send them) solved as
``selforg-scheduler solve`` does (split into parts, :mod:`selforg_scheduler.modes.split`), each in a
fresh process: wall time against the limit, peak memory, coverage, and travel and link-worker
visits against the planted rota. Writes ``benchmarks/results/pools.json`` and the "Unlabelled
pools" section.

    python benchmarks/scaling.py --pools 60,120,250,500 [--seed 5] [--report-only]

Sizes not run keep their row from the results file.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import ortools

from page import replace_section  # benchmarks/page.py (the script runs from benchmarks/)
from selforg_scheduler.contract.io import instance_from_dict
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.modes.org import solve_organisation
from selforg_scheduler.pipeline.solve import SolveParams
from selforg_scheduler.rules.config import default_rules
from selforg_scheduler.rules.validator import validate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scaling.json"
PLOT = ROOT / "docs" / "scaling.png"
WORKERS_PER_TEAM = 12.5
VISITS_PER_TEAM = 625
MIN_LIMIT_S = 30.0
MEMORY_TARGET_MB = 4096


@dataclass
class Row:
    teams: int
    workers: int
    visits: int
    covered: int
    borrowed: int
    limit_s: float
    total_s: float
    parts_s: float
    merge_s: float
    first_feasible_s: float | None
    within_1pct_s: float | None
    peak_memory_mb: float
    valid: bool
    objective: float
    cores: int


def run(teams: int, limit_full: float, seed: int) -> Row:
    workers = int(WORKERS_PER_TEAM * teams)
    gen = generate_instance(workers=workers, visits=VISITS_PER_TEAM * teams, days=7, seed=seed, teams=teams)
    inst = instance_from_dict(gen.instance)
    limit = max(MIN_LIMIT_S, limit_full * teams / 16)
    rules = default_rules()
    result = solve_organisation(inst, rules, SolveParams(time_limit_s=limit, seed=0))
    report = validate(inst, result.solution, rules)
    sol = result.solution
    return Row(
        teams=teams,
        workers=len(inst.workers),
        visits=len(inst.visits),
        covered=len(sol.visits),
        borrowed=result.borrowed,
        limit_s=limit,
        total_s=result.timings["total_s"],
        parts_s=result.timings["parts_s"],
        merge_s=result.timings["merge_s"],
        first_feasible_s=result.first_feasible_s,
        within_1pct_s=result.within_1pct_s,
        peak_memory_mb=result.peak_memory_mb,
        valid=report.ok and report.objective == sol.objective,
        objective=float(sol.objective or 0),
        cores=os.cpu_count() or 1,
    )


POOLS = {60: (1500, 60.0), 120: (4500, 60.0), 250: (10000, 300.0), 500: (20000, 600.0)}
"""Workers: (visits, time limit in seconds). 120 workers at 60 s is issue #20's reproduction."""
POOL_RESULTS = ROOT / "benchmarks" / "results" / "pools.json"
POOL_MEMORY_MB = {5000: 2048, 20000: 8192}
"""Peak memory targets: under 2 GB up to 5,000 visits, under 8 GB up to 20,000."""


@dataclass
class PoolRow:
    workers: int
    visits: int
    limit_s: float
    wall_s: float
    parts: int
    covered: int
    borrowed: int
    peak_memory_mb: float
    travel_minutes: float
    planted_travel_minutes: float
    link_worker_pct: float
    planted_link_worker_pct: float
    valid: bool
    cores: int
    seed: int
    commit: str = ""
    """The code that made the row (``git rev-parse --short HEAD``): generator and solver."""


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def make_pool(workers: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """A generated pool without team labels, and its planted rota, written to ``folder``."""
    visits, _ = POOLS[workers]
    gen = generate_instance(workers=workers, visits=visits, days=7, seed=seed, teams=max(1, round(workers / 12)))
    raw = gen.instance
    for key in ("workers", "clients", "roles"):
        for item in raw.get(key, []):
            item.pop("team", None)
    inst_path, plan_path = folder / f"pool{workers}.json", folder / f"pool{workers}.plan.json"
    inst_path.write_text(json.dumps(raw), encoding="utf-8")
    plan_path.write_text(json.dumps(gen.plan), encoding="utf-8")
    return inst_path, plan_path


def run_pool(workers: int, seed: int, inst_path: Path, plan_path: Path) -> PoolRow:
    """Load and solve the pool as ``solve`` does (timed from the file), then compare with the plan."""
    from selforg_scheduler.contract.io import load_instance, load_solution
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.modes.split import needs_split
    from selforg_scheduler.rules.validator import evaluate

    _, limit = POOLS[workers]
    t0 = time.perf_counter()
    inst = load_instance(inst_path)
    assert needs_split(inst), "a pool this size is split"
    rules = default_rules()
    result = solve_organisation(inst, rules, SolveParams(time_limit_s=limit - (time.perf_counter() - t0), seed=0))
    wall = time.perf_counter() - t0
    sol = result.solution
    report = validate(inst, sol, rules)
    planted = evaluate(compile_problem(inst, rules.resolution), rules, load_solution(plan_path))
    return PoolRow(
        workers=len(inst.workers),
        visits=len(inst.visits),
        limit_s=limit,
        wall_s=round(wall, 1),
        parts=len(sol.parts),
        covered=len(sol.visits),
        borrowed=result.borrowed,
        peak_memory_mb=result.peak_memory_mb,
        travel_minutes=float(report.kpis["travel_minutes"]),
        planted_travel_minutes=float(planted.kpis["travel_minutes"]),
        link_worker_pct=float(report.kpis["link_worker_visit_pct"]),
        planted_link_worker_pct=float(planted.kpis["link_worker_visit_pct"]),
        valid=report.ok and report.objective == sol.objective,
        cores=os.cpu_count() or 1,
        seed=seed,
        commit=_commit(),
    )


def write_pool_section(rows: list[PoolRow]) -> None:
    body = [
        "Written by `benchmarks/scaling.py --pools`.",
        "",
        "An agency or an organisation often sends one pool without `team` labels (a field this project",
        "added). Pools made by `selforg-scheduler generate --workers N --teams N/12` with the labels then",
        "removed (issue #20's reproduction is the 120-worker row), solved as `selforg-scheduler solve`",
        "does: a pool of more than 30 workers or 1,200 visits is split into parts of about a team",
        "(link workers, buddy groups, linked visits, geography and working days:",
        "[architecture](architecture.md#large-pools)), the parts solved in parallel, then merged with",
        "borrowing. *wall*: from loading the file to the checked rota, in a fresh process; *peak memory*:",
        "the main process's peak plus jobs x the largest part process's peak (an upper bound);",
        "*travel* and *link-worker visits* against the rota the generator planted (which covers every",
        "visit, so every visit is coverable).",
        "",
        "| workers | visits | limit s | wall s | parts | covered | by borrowing | peak memory MB | travel vs planted | link-worker visits (planted) | valid | code |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        travel = 100 * (r.travel_minutes / max(1.0, r.planted_travel_minutes) - 1)
        body.append(
            f"| {r.workers} | {r.visits:,} | {r.limit_s:.0f} | {r.wall_s:.0f} | {r.parts} | "
            f"{r.covered:,} ({_share(r.covered, r.visits)} %) | {r.borrowed} | {r.peak_memory_mb:,.0f} | "
            f"{travel:+.1f} % | {r.link_worker_pct:.1f} % ({r.planted_link_worker_pct:.1f} %) | "
            f"{'yes' if r.valid else 'NO'} | {r.commit or '-'} |"
        )
    over = [r for r in rows if r.wall_s > 1.2 * r.limit_s + 5]
    heavy = [r for r in rows if r.peak_memory_mb > (2048 if r.visits <= 5000 else 8192)]
    body += [
        "",
        ("Every run within 1.2 x its limit + 5 s" if not over else f"OVER 1.2 x the limit + 5 s in {len(over)} of {len(rows)} runs")
        + "; peak memory "
        + ("under 2 GB up to 5,000 visits and under 8 GB up to 20,000." if not heavy else "OVER its target in "
           f"{len(heavy)} of {len(rows)} runs."),
        "",
        f"Ran on {rows[-1].cores} cores with OR-Tools {ortools.__version__}, Python {platform.python_version()}, seed {rows[-1].seed}.",
    ]  # fmt: skip
    replace_section("Unlabelled pools", body)


def pools_main(sizes: list[int], seed: int, report_only: bool) -> int:
    import tempfile

    if report_only:
        rows = [PoolRow(**r) for r in json.loads(POOL_RESULTS.read_text(encoding="utf-8"))]
    else:
        kept = (
            {r["workers"]: PoolRow(**r) for r in json.loads(POOL_RESULTS.read_text(encoding="utf-8"))}
            if POOL_RESULTS.exists()
            else {}
        )
        spawn = multiprocessing.get_context("spawn")
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                # generated in one fresh process, solved in another: the solve's peak is its own
                with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
                    paths = fresh.submit(make_pool, n, seed, Path(tmp)).result()
                with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
                    kept[n] = fresh.submit(run_pool, n, seed, *paths).result()
                print(json.dumps(asdict(kept[n])), flush=True)
                POOL_RESULTS.write_text(
                    json.dumps([asdict(kept[k]) for k in sorted(kept)], indent=1) + "\n", encoding="utf-8"
                )
        rows = [kept[k] for k in sorted(kept)]
    write_pool_section(sorted(rows, key=lambda r: r.workers))
    return 0


def plot(rows: list[Row]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    x = [r.visits for r in rows]
    ax.plot(x, [r.first_feasible_s for r in rows], "o-", label="every team has a rota")
    ax.plot(x, [r.within_1pct_s for r in rows], "s-", label="teams' total within 1 % of final")
    ax.plot(x, [r.total_s for r in rows], "^--", label="merged, borrowed and checked (total)")
    ax.plot(x, [r.limit_s for r in rows], ":", color="grey", label="time limit")
    ax.set_xscale("log", base=2)
    ax.set_xticks(x, [f"{v:,}" for v in x])
    ax.set_xlabel("visits in the week (12.5 workers per 625 visits)")
    ax.set_ylabel("seconds")
    ax.set_title(f"Organisation scale on {rows[-1].cores} cores: time vs size")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT)


def _share(part: int, whole: int) -> str:
    """A percentage with two decimals, rounded down: 9,888 of 9,890 is 99.97 %, not 100.0 %."""
    return f"{math.floor(10000 * part / max(1, whole)) / 100:.2f}"


def write_section(rows: list[Row]) -> None:
    big = rows[-1]
    body = [
        "Written by `benchmarks/scaling.py`.",
        "",
        "Generated organisations (`selforg-scheduler generate --teams N`, seed 1) of N teams of about",
        "12.5 workers and 625 visits each, every team with its own clients in its own Devon town and a",
        "planted rota covering every visit (so every visit is coverable). Dense weeks: above 42 visits",
        "a worker-week the generator uses brisk calls (durations x 0.7), and it plants as many visits",
        "as the workers can carry, so the planted rota has almost no slack.",
        "",
        "Method (`selforg_scheduler.modes.org`, used by `solve` whenever workers name several teams): the",
        "instance is split by team (teams tied by a linked visit or a buddy group stay together); each",
        "team's week is solved by the usual solver (greedy, ruin and recreate on the visits it leaves",
        "uncovered, CP-SAT, LNS) in a process pool (one CP-SAT worker per process, smallest team",
        "first, each an equal share of the time left as it starts, 4 ms a visit kept for",
        "the merge; a team with every coverable visit covered searches only a fifth of its share more,",
        "leaving the rest to the busiest teams, which start last); the rotas are merged and every visit",
        "a team left uncovered is offered to every worker of the organisation (cheapest feasible",
        "insertion under all rules, then ejections and ruin and recreate while time is left beyond",
        "what writing the rota needs); the validator then checks and costs the merged rota on the",
        "whole instance.",
        "",
        "*first rota*: every team has a rota; *within 1 %*: the teams' objectives together are within",
        "1 % of their final total (CP-SAT's bounds on these routing models are too weak to measure a gap",
        "to the optimum). On 2 cores the teams run two at a time, so the last",
        "teams start late: *first rota* grows with the number of teams, not with a team's size.",
        "*peak memory*: the main process's peak (here it also generated the instance; each size runs in a",
        "fresh process) plus, when teams",
        "run in parallel, jobs x the largest worker process's peak: an upper bound.",
        "",
        "| teams | workers | visits | covered | by borrowing | limit s | first rota s | within 1 % s | total s | merge s | peak memory MB | valid |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        first = f"{r.first_feasible_s:.0f}" if r.first_feasible_s is not None else "-"
        within = f"{r.within_1pct_s:.0f}" if r.within_1pct_s is not None else "-"
        body.append(
            f"| {r.teams} | {r.workers} | {r.visits:,} | {r.covered:,} ({_share(r.covered, r.visits)} %) | "
            f"{r.borrowed} | {r.limit_s:.0f} | {first} | {within} | {r.total_s:.0f} | {r.merge_s:.0f} | "
            f"{r.peak_memory_mb:,.0f} | {'yes' if r.valid else 'NO'} |"
        )
    body += [
        "",
        "![time to a first rota and to within 1 % against the number of visits](scaling.png)",
        "",
        f"Largest run: {big.workers} workers, {big.visits:,} visits: {'within' if big.total_s <= big.limit_s + 1 else 'OVER'} "
        f"the {big.limit_s:.0f} s limit ({big.total_s:.0f} s), peak memory "
        f"{'under' if big.peak_memory_mb < MEMORY_TARGET_MB else 'OVER'} 4 GB ({big.peak_memory_mb:,.0f} MB), "
        + (
            "every visit covered (the planted rota shows every visit can be)."
            if big.visits == big.covered
            else f"{big.visits - big.covered} visits uncovered although the planted rota covers them all "
            "(each with its reason in the solution)."
        ),
        "",
        f"Ran on {big.cores} cores with OR-Tools {ortools.__version__}, Python {platform.python_version()}.",
    ]
    replace_section("Organisation scale", body)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", default="1,2,4,8,16", help="comma-separated numbers of teams")
    ap.add_argument("--limit", type=float, default=300.0, help="time limit for 16 teams (scaled by size)")
    ap.add_argument("--seed", type=int, default=None, help="generator seed (default: 1; pools: 5, as in issue #20)")
    ap.add_argument("--report-only", action="store_true", help="rewrite the page and plot from the results file")
    ap.add_argument("--pools", default="", help="comma-separated pool sizes in workers (of 60,120,250,500)")
    args = ap.parse_args(argv)
    if args.pools:
        return pools_main(
            [int(x) for x in args.pools.split(",")], 5 if args.seed is None else args.seed, args.report_only
        )
    rows: list[Row]
    if args.report_only:
        rows = [Row(**r) for r in json.loads(RESULTS.read_text(encoding="utf-8"))]
    else:
        # rows of sizes not run this time are kept from the results file
        kept = (
            {r["teams"]: Row(**r) for r in json.loads(RESULTS.read_text(encoding="utf-8"))} if RESULTS.exists() else {}
        )
        for n in (int(x) for x in args.teams.split(",")):
            t0 = time.perf_counter()
            # Each size in a fresh process: a process's peak memory never falls, and team
            # processes forked from a parent grown by the sizes before would count its pages too.
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
                kept[n] = fresh.submit(run, n, args.limit, args.seed).result()
            print(json.dumps(asdict(kept[n])), f"({time.perf_counter() - t0:.0f}s with generation)", flush=True)
        rows = [kept[n] for n in sorted(kept)]
        RESULTS.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n", encoding="utf-8")
    rows.sort(key=lambda r: r.visits)
    plot(rows)
    write_section(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
