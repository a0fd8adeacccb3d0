"""Solve many teams' weeks at once: one instance file per team, one solution each, a summary.

The same task (:func:`solve_file`: load, solve, validate, write) runs either in a local process
pool or on a Ray cluster (``pip install .[ray]``). A file that is not a valid instance does not
stop the others: its row says what is wrong, as the single-instance CLI would.

Each rota is ``<instance file's stem>.solution.json`` in the output folder, the stem made safe
and unique (:func:`~selforg_scheduler.outputs.files.unique_names`), and written atomically.
With ``deterministic_time`` each solve runs on one CP-SAT worker within that many deterministic
seconds, so a seed gives the same rotas on any machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.modes.cluster import check_executor, ray_runtime
from selforg_scheduler.outputs.files import inside, unique_names, write_text_atomic


@dataclass(frozen=True)
class Task:
    """One instance to solve (everything a worker process needs, picklable)."""

    instance: str
    out: str
    rules: str | None
    time_limit_s: float
    workers: int
    seed: int
    deterministic_time: float | None = None
    """CP-SAT deterministic seconds per solve (None: the wall clock alone)."""


@dataclass(frozen=True)
class Outcome:
    """One row of the summary."""

    instance: str
    team: str
    status: str
    visits: int
    covered: int
    objective: float | None
    valid: bool
    wall_s: float
    solution: str
    error: str = ""


def solve_file(task: Task) -> Outcome:
    """Load, solve, validate and write one instance; bad input becomes an ``INPUT_ERROR`` row."""
    from selforg_scheduler.contract.io import load_instance, solution_json
    from selforg_scheduler.modes.org import OrgResult, solve_organisation
    from selforg_scheduler.modes.split import solved_in_parts
    from selforg_scheduler.pipeline.solve import (
        SolveParams,
        SolveResult,
        solve_detailed,
    )
    from selforg_scheduler.rules.config import load_rules

    t0 = time.perf_counter()
    name = Path(task.instance).name
    try:
        inst = load_instance(task.instance)
        rules = load_rules(task.rules)
    except InputError as exc:
        return Outcome(
            name, "", "INPUT_ERROR", 0, 0, None, False, round(time.perf_counter() - t0, 3), "", exc.one_line()
        )
    params = SolveParams(
        time_limit_s=task.time_limit_s,
        workers=task.workers,
        seed=task.seed,
        deterministic_time=task.deterministic_time,
    )
    # as `solve` does: in parts (one after another: tasks already run side by side)
    if solved_in_parts(inst):
        result: SolveResult | OrgResult = solve_organisation(inst, rules, params, jobs=1)
    else:
        result = solve_detailed(inst, rules, params)
    write_text_atomic(Path(task.out), solution_json(result.solution))
    sol = result.solution
    return Outcome(
        instance=name,
        team=inst.team.id,
        status=sol.status,
        visits=len(inst.visits),
        covered=len(sol.visits),
        objective=sol.objective,
        valid=result.report.ok,
        wall_s=round(time.perf_counter() - t0, 3),
        solution=str(task.out),
    )


def instance_files(folder: Path) -> list[Path]:
    """The instance files of a folder: ``*.json`` except planted plans and solutions."""
    if not folder.is_dir():
        raise InputError("not a folder", file=str(folder))
    skip = (".plan.json", ".solution.json")
    return sorted(p for p in folder.glob("*.json") if not p.name.endswith(skip))


def solution_names(files: Sequence[Path]) -> dict[Path, str]:
    """Per instance file, the name of its rota: ``<stem>.solution.json``, the stem made safe and
    unique in the folder (two files whose stems make the same name get ``-2``, ``-3``, ...)."""
    names = unique_names((f.name.removesuffix(".json") for f in files), ".solution.json")
    return {f: names[f.name.removesuffix(".json")] for f in files}


def plan_tasks(
    files: Sequence[Path],
    out_dir: Path,
    rules: Path | None,
    time_limit_s: float,
    jobs: int,
    seed: int,
    deterministic_time: float | None = None,
) -> list[Task]:
    """One task per file; each solve gets an equal share of the cores (one CP-SAT worker on a
    deterministic budget: a parallel search is not reproducible)."""
    cores = os.cpu_count() or 1
    per_solve = max(1, cores // max(1, min(jobs, len(files) or 1)))
    if deterministic_time is not None:
        per_solve = 1
    names = solution_names(files)
    return [
        Task(
            instance=str(f),
            out=str(inside(out_dir, names[f])),
            rules=str(rules) if rules is not None else None,
            time_limit_s=time_limit_s,
            workers=per_solve,
            seed=seed,
            deterministic_time=deterministic_time,
        )
        for f in files
    ]


def run_local(tasks: Sequence[Task], jobs: int) -> list[Outcome]:
    """A process pool of ``jobs`` processes (1: in this process, in order)."""
    if jobs <= 1 or len(tasks) <= 1:
        return [solve_file(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(solve_file, tasks))


def run_ray(tasks: Sequence[Task], address: str | None, jobs: int) -> list[Outcome]:
    """The same tasks as Ray remote functions; a local Ray runtime when no address is given."""
    with ray_runtime(address, jobs) as ray:
        remote = ray.remote(num_cpus=1)(solve_file)
        return list(ray.get([remote.remote(t) for t in tasks]))


def solve_many(
    folder: Path,
    out_dir: Path,
    rules: Path | None = None,
    time_limit_s: float = 30.0,
    executor: str = "local",
    address: str | None = None,
    jobs: int = 0,
    seed: int = 0,
    deterministic_time: float | None = None,
) -> list[Outcome]:
    """Solve every instance of ``folder``, writing ``out_dir/<name>.solution.json`` each
    (:func:`solution_names`); ``deterministic_time``: see :class:`Task`."""
    check_executor(executor)
    files = instance_files(folder)
    if not files:
        raise InputError("no instance files (*.json) in the folder", file=str(folder))
    jobs = jobs or min(len(files), os.cpu_count() or 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = plan_tasks(files, out_dir, rules, time_limit_s, jobs, seed, deterministic_time)
    runners: dict[str, Callable[[], list[Outcome]]] = {
        "local": lambda: run_local(tasks, jobs),
        "ray": lambda: run_ray(tasks, address, jobs),
    }
    return runners[executor]()


def summary_frame(outcomes: Iterable[Outcome]) -> Any:
    """The summary as a polars DataFrame (one row per instance)."""
    import polars as pl

    rows = [asdict(o) for o in outcomes]
    schema = {
        "instance": pl.Utf8, "team": pl.Utf8, "status": pl.Utf8, "visits": pl.Int64, "covered": pl.Int64,
        "objective": pl.Float64, "valid": pl.Boolean, "wall_s": pl.Float64, "solution": pl.Utf8, "error": pl.Utf8,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)
