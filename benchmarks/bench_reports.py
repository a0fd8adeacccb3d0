"""The benchmark scripts' page writers, on made-up rows (so they cannot rot between runs)."""

from __future__ import annotations

from pathlib import Path

import page
import pytest
import scaling


def test_replace_section_keeps_the_other_sections(tmp_path: Path) -> None:
    doc = tmp_path / "b.md"
    page.replace_section("One", ["first"], doc)
    page.replace_section("Two", ["second"], doc)
    page.replace_section("One", ["first again", "", "more"], doc)
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert text.count("## One") == 1 and text.count("## Two") == 1
    assert "first again" in text and "first\n" not in text and "second" in text
    assert text.index("## One") < text.index("## Two")


def test_scaling_writes_its_table_and_plot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, png = tmp_path / "benchmarks.md", tmp_path / "scaling.png"
    monkeypatch.setattr(page, "PAGE", doc)
    monkeypatch.setattr(scaling, "PLOT", png)
    monkeypatch.setattr(scaling, "replace_section", lambda title, body: page.replace_section(title, body, doc))
    rows = [
        scaling.Row(1, 12, 620, 615, 0, 30, 29.5, 25, 2, 8, 20, 700, True, 1e5, 2),
        scaling.Row(16, 200, 9890, 9700, 40, 300, 299, 270, 25, 250, 280, 3000, True, 4e6, 2),
    ]
    scaling.plot(rows)
    scaling.write_section(rows)
    text = doc.read_text(encoding="utf-8")
    assert "| 16 | 200 | 9,890 | 9,700 (98.07 %) | 40 | 300 |" in text
    assert scaling._share(9888, 9890) == "99.97" and scaling._share(610, 610) == "100.00"  # never rounded up to all
    assert "within the 300 s limit" in text and "under 4 GB" in text and "190 visits uncovered" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows[-1].covered = rows[-1].visits
    scaling.write_section(rows)
    text = doc.read_text(encoding="utf-8")
    assert "every visit covered" in text and "uncovered" not in text.split("Largest run")[1]


def test_mankowska_no_save_writes_neither_results_nor_rotas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mankowska

    monkeypatch.setattr(mankowska, "RESULTS", tmp_path / "results.json")
    monkeypatch.setattr(mankowska, "SOLUTIONS", tmp_path / "rotas")
    monkeypatch.setattr(mankowska, "PAGE", tmp_path / "benchmarks.md")
    monkeypatch.setattr(mankowska, "replace_section", lambda title, body: pytest.fail("page written"))
    assert mankowska.main(["--instances", "A1", "--no-save", "--time-scale", "0.2"]) == 0
    assert not list(tmp_path.iterdir())
