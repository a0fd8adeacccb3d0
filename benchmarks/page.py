"""``docs/benchmarks.md`` is written by several scripts, each owning one ``## `` section."""

from __future__ import annotations

from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEAD = [
    "# Benchmarks",
    "",
    "The solver core's pytest-benchmark suites (load, build, greedy, validator, deterministic",
    "solves of generated teams, buddies, rotation) are in `benchmarks/bench_core.py`; the README",
    "shows how to time and compare runs. Each section below is written by the script it names.",
    "",
]


def replace_section(title: str, body: list[str], page: Path = PAGE) -> None:
    """Write ``## title`` followed by ``body`` in place of that section (or at the end)."""
    text = page.read_text(encoding="utf-8") if page.exists() else "\n".join(HEAD)
    lines = text.rstrip("\n").split("\n")
    heading = f"## {title}"
    new = [heading, "", *body]
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*new, ""] if end < len(lines) else new
    else:
        lines += ["", *new]
    page.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
