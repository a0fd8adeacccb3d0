"""Stopping on SIGINT / SIGTERM (core/interrupt.py): the first signal stops every stage and the
best rota is written; a second aborts; CP-SAT never leaves SIGINT at the system default."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from selforg_scheduler.core import interrupt
from selforg_scheduler.core.budget import SolveBudget

ROOT = Path(__file__).resolve().parent.parent


class FakeSolver:
    def __init__(self) -> None:
        self.stopped = 0

    def stop_search(self) -> None:
        self.stopped += 1


def test_a_first_signal_requests_a_stop_and_stops_running_searches() -> None:
    solver = FakeSolver()
    budget = SolveBudget.of(100.0)
    before = signal.getsignal(signal.SIGTERM)
    with interrupt.on_signals():
        with interrupt.watching(solver):
            assert interrupt.requested() is None and budget.wall.left() > 90
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs between bytecodes
            assert interrupt.requested() == "SIGTERM"
            assert solver.stopped >= 1
            assert budget.wall.left() <= 0, "every budget reads as spent"
        late = FakeSolver()
        with interrupt.watching(late):  # a search started after the request stops at once
            assert late.stopped == 1
    assert interrupt.requested() is None, "the request ends with the block"
    assert signal.getsignal(signal.SIGTERM) is before, "the handlers before are back"


def test_a_second_signal_aborts() -> None:
    with pytest.raises(KeyboardInterrupt), interrupt.on_signals():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        assert interrupt.requested() == "SIGINT"
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    assert interrupt.requested() is None


def test_cp_sat_leaves_sigint_to_python() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.maximize(x)
    interrupt.quiet_solver(cp_model.CpSolver()).solve(model)
    # Had OR-Tools reset SIGINT to the system default, this would kill the test process.
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)


def test_ctrl_c_during_a_solve_writes_the_best_rota_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "rota.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "selforg_scheduler", "solve", str(ROOT / "instances" / "week.json"),
         "-t", "120", "--no-html", "-q", "-v", "--workers", "1", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until the model is being searched
        if "model:" in line:
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted by SIGINT" in stderr and "best rota" in stderr
    rota = json.loads(out.read_text(encoding="utf-8"))
    listed = len(rota["visits"]) + len(rota["unassigned"])
    week = json.loads((ROOT / "instances" / "week.json").read_text(encoding="utf-8"))
    assert listed == len(week["visits"])
    check = subprocess.run(
        [sys.executable, "-m", "selforg_scheduler", "validate", str(ROOT / "instances" / "week.json"), str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
