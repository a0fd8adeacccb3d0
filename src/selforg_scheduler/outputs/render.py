"""Pictures of a rota: a self-contained HTML page (per-worker Gantt of each day, readable on a
phone), a PNG of the same with matplotlib, and the buddy graph.

The page needs no network: styles are inline, the buddy graph is an inline SVG (networkx lays it
out). Each visit block carries ``data-visit`` and ``data-worker``; each worker row of each day
``data-worker``, so tools (and the tests) can count what is drawn. Details show on hover, and on a
tap (blocks are focusable).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.rota import Rota, rota_from_solution
from selforg_scheduler.outputs.files import atomic_path, write_text_atomic

__all__ = ["Block", "day_blocks", "render_buddies_png", "render_html", "render_png", "save_figure", "write_html"]

GOLDEN_ANGLE = 137.508


@dataclass(frozen=True, slots=True)
class Block:
    """One thing drawn on a worker's day: a visit, the travel before it, or a break (minutes of the day)."""

    kind: str  # "visit", "travel" or "break"
    worker: str
    start: float
    end: float
    label: str = ""
    tip: str = ""
    visit: str = ""
    client: int = -1
    double: bool = False


def _hue(client: int) -> float:
    return (client * GOLDEN_ANGLE) % 360


def day_blocks(problem: Problem, rota: Rota, solution: Solution) -> dict[int, dict[int, list[Block]]]:
    """Per day, per worker index, the blocks of that worker's day."""
    p = problem
    out: dict[int, dict[int, list[Block]]] = {d: {w: [] for w in range(len(p.workers))} for d in range(p.days)}
    names = {wd.index: wd.id for wd in p.workers}
    for (w, day), route in rota.routes.items():
        for k, v in enumerate(route):
            vd = p.visits[v]
            start = p.wall_minutes(day, rota.start[v])
            end = start + vd.duration / p.unit + p.clock_shift(rota.start[v], rota.end(v))
            before = rota.lead_travel(w, day, k) / p.unit
            if before > 0:
                out[day][w].append(Block("travel", names[w], start - before, start, tip=f"travel {before:g} min"))
            client = p.clients[vd.client]
            crew = " + ".join(p.workers[x].id for x in rota.crew[v])
            tip = f"{vd.id} · {client.name or client.id} ({client.id}) · {_hhmm(start)}-{_hhmm(end)} · {crew}" + (
                f" · needs {', '.join(sorted(vd.skills))}" if vd.skills else ""
            )
            out[day][w].append(
                Block("visit", names[w], start, end, client.id, tip, vd.id, vd.client, len(rota.crew[v]) > 1)
            )
            after = rota.tail_travel(w, day, k) / p.unit
            if after > 0:
                out[day][w].append(Block("travel", names[w], end, end + after, tip=f"travel home {after:g} min"))
    for b in solution.breaks:
        bw = p.worker_index.get(b.worker)
        if bw is None:
            continue
        s, e = p.minute_of(b.start), p.minute_of(b.end)
        day = p.day_of(s)
        if day in out:
            bs, be = p.wall_minutes(day, s), p.wall_minutes(day, e)
            out[day][bw].append(Block("break", b.worker, bs, be, "break", f"break {_hhmm(bs)}-{_hhmm(be)}"))
    return out


def _hhmm(minute: float) -> str:
    m = int(round(minute))
    return f"{m // 60 % 24:02d}:{m % 60:02d}"


STYLE = """
:root { --row: 34px; --name: 7.5rem; font-family: system-ui, sans-serif; color: #222; }
body { margin: 0; padding: 0.5rem; }
h1 { font-size: 1.2rem; margin: 0.2rem 0; } h2 { font-size: 1.05rem; margin: 1rem 0 0.3rem; }
.summary { font-size: 0.85rem; color: #555; }
nav.days { display: flex; flex-wrap: wrap; gap: 0.3rem; position: sticky; top: 0; background: #fff; padding: 0.3rem 0; z-index: 5; }
nav.days a { padding: 0.2rem 0.5rem; border: 1px solid #bbb; border-radius: 0.3rem; text-decoration: none; color: #222; font-size: 0.85rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid #ddd; }
.gantt { min-width: 760px; }
.row { display: flex; height: var(--row); border-top: 1px solid #eee; }
.who { position: sticky; left: 0; width: var(--name); flex: none; background: #fafafa; font-size: 0.75rem;
       padding: 0 0.3rem; display: flex; align-items: center; z-index: 2; border-right: 1px solid #ddd; }
.lane { position: relative; flex: 1; }
.axis .lane span { position: absolute; font-size: 0.65rem; color: #777; transform: translateX(-50%); top: 8px; }
.hour { position: absolute; top: 0; bottom: 0; border-left: 1px dashed #eee; }
.block { position: absolute; top: 4px; bottom: 4px; border-radius: 3px; font-size: 0.65rem; overflow: visible;
         white-space: nowrap; line-height: calc(var(--row) - 8px); padding-left: 2px; box-sizing: border-box; }
.block span { display: block; overflow: hidden; text-overflow: clip; }
.visit { color: #111; border: 1px solid rgba(0,0,0,0.35); cursor: pointer; }
.visit.double { border: 2px dashed #000; font-weight: 600; }
.travel { background: repeating-linear-gradient(90deg, #999 0 2px, transparent 2px 5px); top: 14px; bottom: 14px; }
.break { background: #fff3b0; border: 1px solid #d9b400; color: #6a5600; }
.block:hover::after, .block:focus::after { content: attr(data-tip); position: absolute; left: 0; top: 100%;
         background: #222; color: #fff; padding: 0.2rem 0.4rem; border-radius: 0.2rem; font-size: 0.7rem; z-index: 10;
         white-space: normal; width: max-content; max-width: 18rem; line-height: 1.3; }
.legend span { display: inline-block; margin-right: 0.8rem; font-size: 0.75rem; }
.legend i { display: inline-block; width: 1.4rem; height: 0.7rem; vertical-align: middle; margin-right: 0.2rem; }
table.gaps { border-collapse: collapse; font-size: 0.8rem; } table.gaps td { border-top: 1px solid #eee; padding: 0.2rem 0.4rem; vertical-align: top; }
svg.buddies { max-width: 32rem; width: 100%; height: auto; }
@media (max-width: 600px) { :root { --name: 4.2rem; } .who small { display: none; } }
"""


def render_html(instance: Instance, solution: Solution) -> str:
    """The whole page as a string."""
    p = compile_problem(instance)
    rota = rota_from_solution(p, solution)
    blocks = day_blocks(p, rota, solution)
    e = html.escape
    covered = len(solution.visits)
    total = covered + len(solution.unassigned)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Rota: {e(instance.team.name)}, week of {p.origin:%d %b %Y}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(instance.team.name)}: week of {p.origin:%a %d %b %Y}</h1>",
        f"<p class='summary'>{e(solution.status)} · objective {solution.objective if solution.objective is not None else '-'}"
        f" · {covered} of {total} visits covered · {len(p.workers)} workers</p>",
        "<p class='legend'><span><i style='background:hsl(200 70% 75%)'></i>visit (colour = client)</span>"
        "<span><i style='border:2px dashed #000'></i>two workers</span>"
        "<span><i style='background:repeating-linear-gradient(90deg,#999 0 2px,transparent 2px 5px)'></i>travel</span>"
        "<span><i style='background:#fff3b0;border:1px solid #d9b400'></i>break</span></p>",
        "<nav class='days'>"
        + "".join(f"<a href='#day-{d}'>{e(p.day_name(d))}</a>" for d in range(p.days))
        + "<a href='#unassigned'>uncovered</a><a href='#buddies'>buddies</a></nav>",
    ]
    for d in range(p.days):
        parts.append(_day_section(p, d, blocks[d]))
    parts.append(_gaps(solution))
    parts.append(_buddies_svg(instance))
    parts.append("</body></html>")
    return "\n".join(parts)


def _day_section(p: Problem, day: int, by_worker: dict[int, list[Block]]) -> str:
    e = html.escape
    times = [t for bs in by_worker.values() for b in bs for t in (b.start, b.end)]
    lo = math.floor(min(times, default=420) / 60) * 60
    hi = math.ceil(max(times, default=1320) / 60) * 60
    lo, hi = min(lo, 420), max(hi, lo + 60)
    span = hi - lo

    def pct(t: float) -> str:
        return f"{100 * (t - lo) / span:.3f}%"

    hours = range(lo, hi + 1, 60)
    axis = "".join(f"<span style='left:{pct(h)}'>{h // 60:02d}</span>" for h in hours)
    grid = "".join(f"<div class='hour' style='left:{pct(h)}'></div>" for h in hours)
    rows = [f"<div class='row axis'><div class='who'></div><div class='lane'>{axis}</div></div>"]
    for wd in p.workers:
        cells = []
        for b in sorted(by_worker[wd.index], key=lambda b: (b.start, b.kind != "travel")):
            style = f"left:{pct(b.start)};width:{100 * (b.end - b.start) / span:.3f}%"
            if b.kind == "visit":
                style += f";background:hsl({_hue(b.client):.0f} 70% 78%)"
                cls = "block visit double" if b.double else "block visit"
                cells.append(
                    f"<div class='{cls}' tabindex='0' data-visit='{e(b.visit)}' data-worker='{e(b.worker)}' "
                    f"data-tip='{e(b.tip)}' title='{e(b.tip)}' style='{style}'><span>{e(b.label)}"
                    f"{' ×2' if b.double else ''}</span></div>"
                )
            else:
                cells.append(
                    f"<div class='block {b.kind}' tabindex='0' data-worker='{e(b.worker)}' data-tip='{e(b.tip)}' "
                    f"title='{e(b.tip)}' style='{style}'><span>{e(b.label)}</span></div>"
                )
        rows.append(
            f"<div class='row' data-worker='{e(wd.id)}'><div class='who'><b>{e(wd.id)}</b>&nbsp;<small>{e(wd.name)}</small></div>"
            f"<div class='lane'>{grid}{''.join(cells)}</div></div>"
        )
    return (
        f"<section class='day' id='day-{day}' data-day='{day}'><h2>{e(p.day_name(day))}</h2>"
        f"<div class='scroll'><div class='gantt'>{''.join(rows)}</div></div></section>"
    )


def _gaps(solution: Solution) -> str:
    e = html.escape
    if not solution.unassigned:
        return "<section id='unassigned'><h2>Uncovered visits</h2><p>None: every visit is covered.</p></section>"
    rows = "".join(f"<tr><td>{e(u.visit)}</td><td>{e(u.reason)}</td></tr>" for u in solution.unassigned)
    return f"<section id='unassigned'><h2>Uncovered visits ({len(solution.unassigned)})</h2><table class='gaps'>{rows}</table></section>"


def buddy_graph(instance: Instance) -> nx.Graph:
    """Workers as nodes, an edge between every two members of a buddy group."""
    g = nx.Graph()
    g.add_nodes_from(w.id for w in instance.workers)
    for group in instance.buddies:
        g.add_edges_from((a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    return g


def _buddies_svg(instance: Instance) -> str:
    e = html.escape
    g = buddy_graph(instance)
    if not g.number_of_nodes():
        return ""
    pos = nx.circular_layout(g, scale=1.0)
    size, pad = 400, 60

    def xy(node: str) -> tuple[float, float]:
        x, y = pos[node]
        return pad + (x + 1) / 2 * (size - 2 * pad), pad + (y + 1) / 2 * (size - 2 * pad)

    lines = "".join(
        f"<line x1='{xy(a)[0]:.1f}' y1='{xy(a)[1]:.1f}' x2='{xy(b)[0]:.1f}' y2='{xy(b)[1]:.1f}' stroke='#4a7' stroke-width='3'/>"
        for a, b in g.edges
    )
    nodes = "".join(
        f"<g data-worker='{e(n)}'><circle cx='{xy(n)[0]:.1f}' cy='{xy(n)[1]:.1f}' r='16' fill='#def' stroke='#357'/>"
        f"<text x='{xy(n)[0]:.1f}' y='{xy(n)[1] + 4:.1f}' font-size='10' text-anchor='middle'>{e(n)}</text></g>"
        for n in g.nodes
    )
    return (
        "<section id='buddies'><h2>Buddy groups</h2>"
        f"<svg class='buddies' viewBox='0 0 {size} {size}' role='img' aria-label='buddy graph'>{lines}{nodes}</svg></section>"
    )


def write_html(instance: Instance, solution: Solution, path: Path) -> Path:
    """Write the page of :func:`render_html` to ``path`` atomically (missing folders made)."""
    return write_text_atomic(path, render_html(instance, solution))


def save_figure(fig: Any, path: Path) -> Path:
    """Save a matplotlib figure atomically, in the format of the path's suffix (PNG without one)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format=path.suffix.lstrip(".").lower() or "png")
    return path


def render_png(instance: Instance, solution: Solution, path: Path) -> Path:
    """The same Gantt as a PNG: one panel per day, one row per worker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import hsv_to_rgb

    p = compile_problem(instance)
    rota = rota_from_solution(p, solution)
    blocks = day_blocks(p, rota, solution)
    n = len(p.workers)
    fig, axes = plt.subplots(p.days, 1, figsize=(12, max(2.0, 0.22 * n + 0.8) * p.days), squeeze=False)
    for d in range(p.days):
        ax = axes[d][0]
        for wd in p.workers:
            y = n - 1 - wd.index
            for b in blocks[d][wd.index]:
                if b.kind == "visit":
                    colour = hsv_to_rgb((_hue(b.client) / 360, 0.45, 0.95))
                    ax.barh(y, b.end - b.start, left=b.start, height=0.7, color=colour, edgecolor="black",
                            linewidth=1.6 if b.double else 0.4, linestyle="--" if b.double else "-")  # fmt: skip
                elif b.kind == "travel":
                    ax.barh(y, b.end - b.start, left=b.start, height=0.2, color="#999999")
                else:
                    ax.barh(y, b.end - b.start, left=b.start, height=0.7, color="#fff3b0", edgecolor="#d9b400")
        ax.set_yticks(range(n), [wd.id for wd in reversed(p.workers)], fontsize=6)
        ax.set_xlim(6 * 60, 23 * 60)
        ax.set_xticks(range(6 * 60, 23 * 60 + 1, 60), [f"{h:02d}" for h in range(6, 24)], fontsize=7)
        ax.set_title(p.day_name(d), fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def render_buddies_png(instance: Instance, path: Path) -> Path:
    """The buddy graph as a PNG (networkx drawing with matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = buddy_graph(instance)
    fig, ax = plt.subplots(figsize=(6, 6))
    nx.draw_networkx(g, pos=nx.circular_layout(g), ax=ax, node_color="#ddeeff", edgecolors="#335577",
                     edge_color="#44aa77", width=2.5, font_size=8, node_size=700)  # fmt: skip
    ax.set_title(f"Buddy groups: {instance.team.name}")
    ax.axis("off")
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)
