"""`strikebench leaderboard verify`: re-runs published cells and fails on a tampered manifest."""
from __future__ import annotations

import copy
import json

import pytest
from test_report_sweep import tiny_results

from strikebench.reporting import verify
from strikebench.app.cli import leaderboard_main


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    sweep = tiny_results(tmp_path_factory)
    out = tmp_path_factory.mktemp("leaderboard")
    assert leaderboard_main([str(sweep), "--out", str(out)]) == 0
    return json.loads((out / "manifest.json").read_text())


def subset(manifest: dict, path, pick) -> str:
    """A manifest with only the cells ``pick`` accepts (keeps the re-runs few and fast)."""
    small = copy.deepcopy(manifest)
    small["cells"] = [c for c in small["cells"] if pick(c)]
    path.write_text(json.dumps(small))
    return str(path)


def test_verify_passes_on_an_honest_manifest(manifest, tmp_path, capsys):
    path = subset(manifest, tmp_path / "honest.json",
                  lambda c: c["lever"] == "strike" and c["participation"] == 0.3 and c["seed"] == 1
                  and c["model"] in ("Pop", "ItemKNN") and c["selector"] == "random")
    assert leaderboard_main(["verify", path, "--cells", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 cells reproduce the published values" in out
    assert "deterministic" in out


def test_verify_fails_on_a_tampered_manifest(manifest, tmp_path, capsys):
    small = copy.deepcopy(manifest)
    small["cells"] = [c for c in small["cells"] if c["model"] == "Pop" and c["lever"] == "strike"
                      and c["selector"] == "random" and c["participation"] == 0.5 and c["seed"] == 0]
    assert len(small["cells"]) == 1
    published = small["cells"][0]["published"]
    published["incumbent/holdout/all/ndcg@10"] += 1e-4  # far below any seed effect, still caught
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(small))
    assert leaderboard_main(["verify", str(path), "--cells", "1"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "incumbent/holdout/all/ndcg@10" in out


def test_tolerances_by_model_kind_and_machine(manifest):
    here = manifest["machine"]
    deterministic = {"deterministic": True}
    assert verify.tolerance_for(deterministic, manifest, here) == ("deterministic", {"default": 0.0})
    elsewhere = dict(here, host="another")
    assert verify.tolerance_for(deterministic, manifest, elsewhere) == ("deterministic", {"default": 1e-6})
    kind, tol = verify.tolerance_for({"deterministic": False}, manifest, here)
    assert kind == "trained" and verify.metric_tolerance(tol, "incumbent/holdout/all/ndcg@10") == 0.02
    assert verify.metric_tolerance(tol, "competitor/company/participants/hit@10") == 0.05


def test_compare_by_hand():
    check = verify.CellCheck("k", "BPR", "strike", 0.3, 0, "trained", {"default": 0.02, "hit": 0.05})
    verify.compare({"a/b/all/ndcg@10": 0.30, "a/b/all/hit@10": 0.70, "a/b/participants/ndcg@10": None},
                   {"a/b/all/ndcg@10": 0.31, "a/b/all/hit@10": 0.74, "a/b/participants/ndcg@10": None}, check.tolerances, check)
    assert check.ok and check.worst_metric == "a/b/all/hit@10"
    verify.compare({"a/b/all/ndcg@10": 0.30, "c/b/all/ndcg@10": None}, {"a/b/all/ndcg@10": 0.33, "c/b/all/ndcg@10": 0.1},
                   check.tolerances, check)
    assert len(check.mismatches) == 2  # 0.03 > 0.02, and a value where none was published


def test_sample_is_seeded():
    cells = {"cells": [{"cell_key": f"{i:02d}"} for i in range(20)]}
    a = [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=1)]
    assert a == [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=1)]
    assert a != [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=2)]
    assert len(verify.sample_cells(cells, 50, seed=0)) == 20
