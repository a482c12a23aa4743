"""bench/: the arithmetic its verdicts rest on, and a quick run end to end (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import _measure, _report, vectors
from bench.__main__ import AREAS

ROOT = Path(__file__).resolve().parent.parent


def test_percentiles_interpolate_like_numpy():
    import numpy as np

    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0]
    for q in (0, 50, 95, 100):
        assert _measure.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert _measure.median([3.0, 1.0, 2.0]) == 2.0


def test_recall_counts_ties_by_distance():
    exact = [[(f"e{i}", 0.1 * i) for i in range(1, 11)]]
    assert vectors._recall([[(f"e{i}", 0.1 * i) for i in range(1, 11)]], exact) == [1.0]
    # other rows at the same distances (ties, e.g. duplicate vectors) are as good as the exact ones
    assert vectors._recall([[(f"other{i}", 0.1 * i) for i in range(1, 11)]], exact) == [1.0]
    # rows beyond the exact 10th distance do not count, nor do missing rows
    assert vectors._recall([[("e1", 0.1), ("far", 2.0)]], exact) == [0.1]
    assert vectors._recall([[]], exact) == [0.0]


def test_the_report_renders_every_target_with_its_verdict():
    bench = _measure.Bench(quick=False, out=Path("."), work=Path("."), env={})
    bench.target("area", "what was measured", "1.0 s", "<= 2 s", True)
    bench.target("area", "another", "3.0 s", "<= 2 s", False, "because")
    meta = {**_measure.machine(), "quick": False, "total_s": 60.0, "load_average_end": [0.1, 0.1, 0.1]}
    text = _report.markdown({"meta": meta, "targets": [t.__dict__ for t in bench.targets], "areas": {}})
    assert "| area | what was measured | 1.0 s | <= 2 s | met |" in text
    assert "| area | another | 3.0 s | <= 2 s | **not met** (because) |" in text
    assert f"{meta['cores']} cores" in text


@pytest.mark.servers
def test_a_quick_run_writes_its_results(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "migrations", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["meta"]["quick"] is True and data["meta"]["cores"] and data["meta"]["versions"]["python"]
    assert [t["area"] for t in data["targets"]] and all(t["met"] is None for t in data["targets"])  # a quick run judges nothing
    assert "SQLSTATE 23505" in data["areas"]["migrations"]["error_line"] and ":4:" in data["areas"]["migrations"]["error_line"]
    assert (tmp_path / "README.md").read_text().startswith("# Benchmark results")


def test_the_readme_shows_the_committed_full_run():
    """The README's performance section is the last full run's, as `python -m bench` writes it."""
    data = json.loads((ROOT / "bench" / "results" / "results.json").read_text())
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(_report.README_START) + len(_report.README_START) : readme.index(_report.README_END)]
    assert not data["meta"]["quick"] and set(data["meta"]["areas"]) == set(AREAS)
    assert block.strip() == _report.readme_section(data).strip()
    assert "![recall@10" in block and (ROOT / "bench" / "results" / "vectors.png").exists()
