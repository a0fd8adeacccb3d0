"""Regenerate instances/week.json and instances/week.plan.json (the default generated week).

Usage: python scripts/make_week.py
"""

from __future__ import annotations

import json
from pathlib import Path

from selforg_scheduler.datasets.generate import generate_instance

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    week = generate_instance()
    out = ROOT / "instances"
    out.mkdir(exist_ok=True)
    (out / "week.json").write_text(json.dumps(week.instance, indent=1) + "\n", encoding="utf-8")
    (out / "week.plan.json").write_text(json.dumps(week.plan, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
