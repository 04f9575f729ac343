"""``python -m benchmarks.run --preset study`` writes the study's timings in the agreed shape."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_study_cells_follow_the_random_strike_grid():
    from benchmarks.study import study_cells, study_levels

    levels = study_levels()
    assert levels[:3] == [0.0, 0.0001, 0.0005] and levels[-1] == 0.99 and len(levels) == 17
    cells = study_cells(20)
    assert cells[:17] == [(p, 0) for p in levels] and cells[17:] == [(0.0, 1), (0.0001, 1), (0.0005, 1)]


@pytest.mark.slow
def test_a_small_study_writes_the_study_object(tmp_path):
    out = tmp_path / "study.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.run", "--preset", "study", "--cells", "3", "--max-epochs",
                          "1", "--threads", "1", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    study = report["study"]
    assert {"cells", "sequential_s", "fast_s", "stacked_s", "speedup"} <= set(study)
    assert study["cells"] == 3 and study["sequential_s"] > 0 and study["fast_s"] > 0
    if study["stacked_s"] is None:  # branch s13-stack not merged: the hook reports nothing
        assert study["speedup"] is None
    else:
        assert study["speedup"] == pytest.approx(study["sequential_s"] / study["stacked_s"])
    for way in ("recbole", "fast"):
        variant = report["variants"][way]
        assert variant["cells"] == 3 and len(variant["test_ndcg"]) == 3 and variant["epochs_mean"] == 1
        assert all(0 < ndcg < 1 for ndcg in variant["test_ndcg"])
        assert variant["cells_per_hour"] == pytest.approx(3600 * 3 / variant["seconds"])
    assert "cells/h" in run.stdout
