"""Commands about the team rather than the week's visits: pair-buddies and rotate-roles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from selforg_scheduler.cli.common import app, guarded, out
from selforg_scheduler.cli.tables import print_buddy_groups, print_role_plan
from selforg_scheduler.contract.io import instance_from_dict, load_instance, read_json
from selforg_scheduler.outputs.files import check_writable, write_text_atomic

__all__ = ["pair_buddies_cmd", "rotate_roles_cmd"]


@app.command("pair-buddies")
@guarded
def pair_buddies_cmd(
    team: Annotated[Path, typer.Argument(help="instance JSON file of the team")],
    weights: Annotated[Path | None, typer.Option("--weights", help="YAML file of buddy weights")] = None,
    fresh: Annotated[bool, typer.Option(help="ignore the existing groups and re-match everyone")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write the groups as JSON")] = None,
    write_into: Annotated[
        Path | None, typer.Option("--write-into", help="rewrite this instance file's buddies with the groups")
    ] = None,
) -> None:
    """Buddy groups by maximum-weight matching: kept pairs kept, the rest matched, one triad if odd."""
    from selforg_scheduler.modes.buddies import load_weights, pair_buddies
    from selforg_scheduler.modes.buddies import write_into as buddies_write_into

    if out_path is not None:
        check_writable(out_path, "--out")
    if write_into is not None:
        check_writable(write_into, "--write-into")
    raw = read_json(team)
    existing = raw.get("buddies", []) if isinstance(raw, dict) else []
    if isinstance(raw, dict):
        # Existing groups may name people who have left: they are dropped, not an error.
        raw = {**raw, "buddies": []}
    inst = instance_from_dict(raw, file=str(team))
    plan = pair_buddies(inst, load_weights(weights), fresh=fresh, existing=existing)
    print_buddy_groups(plan)
    if out_path is not None:
        write_text_atomic(out_path, json.dumps(plan.to_json(), indent=2) + "\n")
        out.print(f"groups written to {out_path}", highlight=False, soft_wrap=True)
    if write_into is not None:
        buddies_write_into(write_into, plan)
        out.print(f"buddies written into {write_into}", highlight=False, soft_wrap=True)


@app.command("rotate-roles")
@guarded
def rotate_roles_cmd(
    team: Annotated[Path, typer.Argument(help="instance JSON file of the team (roles, history, leave)")],
    weeks: Annotated[int, typer.Option("--weeks", "-w", help="weeks to plan from the horizon start")] = 12,
    term: Annotated[int, typer.Option(help="weeks a holder keeps a role")] = 4,
    max_changes: Annotated[int, typer.Option(help="roles that may change holder in one week")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", help="budget, deterministic seconds")] = 10.0,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write the plan as JSON")] = None,
) -> None:
    """Plan who holds each team role for the coming weeks: terms, staggered changes, fair spread."""
    if out_path is not None:
        check_writable(out_path, "--out")
    inst = load_instance(team)
    from selforg_scheduler.modes.rotation import RotationParams, plan_roles

    params = RotationParams(
        weeks=weeks, term=term, max_changes_per_week=max_changes, seed=seed, time_limit_s=time_limit
    )
    plan = plan_roles(inst, params)
    print_role_plan(plan, {r.id: r.name or r.id for r in inst.roles}, weeks, term)
    if out_path is not None:
        write_text_atomic(out_path, json.dumps(plan.to_json(), indent=2) + "\n")
        out.print(f"plan written to {out_path}", highlight=False, soft_wrap=True)
