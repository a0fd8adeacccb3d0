"""Rota pictures: the HTML page (checked in headless Chromium), the PNGs, and the solve default."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.factory import client, hand_rota, instance, visit, worker
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.outputs.render import render_html

ROOT = Path(__file__).resolve().parent.parent
WEEK = ROOT / "instances" / "week.json"
PLAN = ROOT / "instances" / "week.plan.json"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class Blocks(HTMLParser):
    """Collects worker rows, visit blocks, breaks and travel from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.visits: list[tuple[str, str]] = []
        self.kinds: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "row" in classes and a.get("data-worker"):
            self.rows.append(a["data-worker"] or "")
        if "block" in classes:
            kind = next(c for c in classes if c in ("visit", "travel", "break"))
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if kind == "visit":
                self.visits.append((a.get("data-visit") or "", a.get("data-worker") or ""))


def parse(page: str) -> Blocks:
    blocks = Blocks()
    blocks.feed(page)
    return blocks


def test_page_draws_every_worker_every_day_and_every_visit_block() -> None:
    inst, sol = load_instance(WEEK), load_solution(PLAN)
    page = render_html(inst, sol)
    got = parse(page)
    assert sorted(set(got.rows)) == sorted(w.id for w in inst.workers)
    assert len(got.rows) == len(inst.workers) * inst.horizon.days
    assert sorted(got.visits) == sorted((a.visit, w) for a in sol.visits for w in a.workers)
    assert got.kinds["break"] == len(sol.breaks)
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "<svg class='buddies'" in page


def test_double_ups_travel_and_uncovered_are_shown() -> None:
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("c1", "A"), client("c2", "C")],
        [visit("v1", "c1", "08:00", workers_required=2), visit("v2", "c2", "09:00"), visit("v3", "c2", "09:00")],
    )
    sol = hand_rota(inst, {"v1": ("08:00", ["w1", "w2"]), "v2": ("09:00", ["w1"])})
    page = render_html(inst, sol)
    got = parse(page)
    assert page.count("block visit double") == 2  # one block per worker of the double-up
    assert got.kinds["travel"] == 1  # w1 drives from A to C (20 min) before v2
    assert "v3" in page.split("id='unassigned'")[1]


def _chromium() -> str | None:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
        if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            subprocess.run(cmd, env=env, capture_output=True, timeout=900)
        found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    return found


def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium, and it cannot be installed here (needs apt-get as root)")
    inst, sol = load_instance(WEEK), load_solution(PLAN)
    page = tmp_path / "rota.html"
    page.write_text(render_html(inst, sol), encoding="utf-8")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    got = parse(dom.stdout)
    assert sorted(set(got.rows)) == sorted(w.id for w in inst.workers) and len(inst.workers) == 12
    assert len(got.visits) == sum(len(a.workers) for a in sol.visits)
    shot = tmp_path / "rota-phone.png"
    done = subprocess.run(
        [browser, *flags, "--window-size=390,1800", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and shot.read_bytes()[:4] == b"\x89PNG"


def test_render_cli_writes_page_and_pngs(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["render", str(WEEK), str(PLAN), "--out", str(tmp_path / "r.html"), "--png", str(tmp_path / "r.png"),
         "--buddies-png", str(tmp_path / "b.png")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert parse((tmp_path / "r.html").read_text(encoding="utf-8")).rows
    for name in ("r.png", "b.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_solve_writes_the_page_beside_the_rota(tmp_path: Path) -> None:
    inst = instance([worker("w1")], [client("c1")], [visit("v1", "c1", "08:00")]).model_dump(mode="json")
    path = tmp_path / "i.json"
    import json

    path.write_text(json.dumps(inst), encoding="utf-8")
    res = CliRunner().invoke(
        app, ["solve", str(path), "-t", "5", "--workers", "1", "-q", "--out", str(tmp_path / "s.json")]
    )
    assert res.exit_code == 0, res.output
    assert "rota page" in res.output and parse((tmp_path / "rota.html").read_text(encoding="utf-8")).visits == [
        ("v1", "w1")
    ]
