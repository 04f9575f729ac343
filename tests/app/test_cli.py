"""The strikebench command end to end on ML-100K, with tiny settings."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from strikebench.results import store

pytestmark = pytest.mark.slow  # strikebench subprocesses running cells and sweeps on ML-100K


def strikebench(*args, cwd):
    return subprocess.run([sys.executable, "-m", "strikebench", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_sweep_writes_records_table_and_plot_and_resumes(tmp_path):
    results = tmp_path / "results"
    args = ["-m", "model=pop,itemknn", "strike.participation=0,0.3", "seed=0,1", "trainer=tiny", f"results_dir={results}"]
    run = strikebench(*args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    records = list(store.iter_records(results))
    assert len(records) == 8
    assert {(r["config"]["model"]["name"], r["config"]["strike"]["participation"], r["config"]["seed"]) for r in records} == {
        (m, p, s) for m in ("Pop", "ItemKNN") for p in (0.0, 0.3) for s in (0, 1)}

    # The printed table has a row per model and p, and the plot exists.
    assert "| ItemKNN | 0.3 |" in run.stdout and "| Pop | 0 |" in run.stdout
    (sweep_dir,) = (results / "sweeps").iterdir()
    figure = sweep_dir / "ndcg_at_10_vs_participation.png"
    assert figure.stat().st_size > 10_000
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 4 and set(summary["seeds"]) == {2}

    # Every record is complete: config, participants, per-user metrics, versions.
    record = next(r for r in records if r["config"]["strike"]["participation"] == 0.3)
    assert record["participants"]["count"] == round(0.3 * 943) == len(record["participants"]["users"])
    assert record["schema_version"] == 1 and record["versions"]["recbole"] == "1.2.1"
    holdout = record["companies"]["incumbent"]["metrics"]["holdout"]
    assert holdout["participants"]["n_users"] + holdout["non_participants"]["n_users"] == holdout["all"]["n_users"] == 943
    per_user = store.read_per_user(store.cell_dir(results, record["cell_key"]))
    assert len(per_user) == 943 and per_user["participant"].sum() == 283
    assert per_user.loc[per_user["participant"], "fallback"].all()

    # Relaunched, the sweep runs nothing again and writes no duplicate.
    again = strikebench(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("[reused]") == 8
    assert len(list(store.cells_dir(results).iterdir())) == 8


def test_single_cell_and_summary_command(tmp_path):
    results = tmp_path / "r"
    run = strikebench("model=pop", "strike.participation=0.1", f"results_dir={results}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[done] Pop strike p=0.1 seed=0" in run.stdout
    summary = strikebench("summary", str(results), cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr[-3000:]
    assert "| Pop | 0.1 |" in summary.stdout
    assert (results / "summary" / "summary.md").is_file()


def test_analyse_is_a_subcommand(tmp_path):
    # Pop 0.1 on full data; MF 0.4 -> 0.25 at p = 0.5: L = 0.15 / 0.30 = 0.5
    rows = [("Pop", 0.0, 0.10), ("MF", 0.0, 0.40), ("MF", 0.5, 0.25)]
    pd.DataFrame([dict(model=m, participation=p, metric="ndcg@10", value=v) for m, p, v in rows]).to_csv(
        tmp_path / "curves.csv", index=False)
    run = strikebench("analyse", "curves.csv", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (study,) = json.loads(run.stdout)["studies"]
    (share,) = [r for r in study["loss_share"] if r["model"] == "MF" and r["participation"] == 0.5]
    assert abs(share["loss_share"] - 0.5) < 1e-12
