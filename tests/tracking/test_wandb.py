"""W&B: live runs per cell (history, config, summary, id from the cell key), the sweep's summary
run and study chart, ``wandb-sync``, and W&B never breaking a cell (modes, offline fallback, no key
printed). Runs whose files are read are made in a subprocess, so the run file is complete when read."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import types

import pytest

from strikebench.errors import ConfigError
from strikebench.results import store
from strikebench.tracking import wandb_mode, wandb_record
from tests.tracking.wandb_files import read_run

SECRET = "dummy-key-" + "x" * 32
# A small synthetic dataset: a cell takes seconds.
SMALL = ["dataset=synthetic", "dataset.synthetic.n_users=120", "dataset.synthetic.n_items=80",
         "dataset.synthetic.n_interactions=3000"]


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    for name in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strikebench(*args, cwd, env_extra=None, env_drop=()):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_") and k not in env_drop}
    env.update(OMP_NUM_THREADS="1", NETRC=str(cwd / "no-netrc"), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "strikebench", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


# --- which mode, and never breaking a cell --------------------------------------------------


def test_mode_follows_logger_mode_then_wandb_mode_then_the_key(no_key, monkeypatch):
    assert wandb_mode.resolve_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    assert wandb_mode.resolve_mode("auto") == "online"
    monkeypatch.setenv("WANDB_MODE", "offline")  # set with a key: offline, as asked (it used to go online)
    assert wandb_mode.resolve_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode.resolve_mode("auto") == "disabled"
    assert wandb_mode.resolve_mode("online") == "online"  # logger.mode set explicitly wins
    assert wandb_mode.resolve_mode("offline") == "offline"
    with pytest.raises(ConfigError, match="logger.mode"):
        wandb_mode.resolve_mode("sometimes")


def test_a_closed_port_is_reported_unreachable(no_key, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}"
    assert "refused" in wandb_mode.unreachable(url).lower()
    monkeypatch.setenv("WANDB_BASE_URL", url)
    assert wandb_mode.online_problem() == f"no API key for {url} (WANDB_API_KEY or `wandb login`)"
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    assert wandb_mode.online_problem().startswith(f"server {url} unreachable (")


class FakeWandb(types.SimpleNamespace):
    """wandb.init and Settings only: each init mode listed in ``fails`` raises, with the key in its message."""

    def __init__(self, fails=()):
        super().__init__(calls=[], fails=set(fails))

    def Settings(self, **kwargs):  # noqa: N802 - wandb's name
        return kwargs

    def init(self, mode, **kwargs):
        self.calls.append(mode)
        if mode in self.fails:
            raise RuntimeError(f"{mode} start failed for key {SECRET}\nsecond line")
        return f"run-{mode}"


def test_open_run_goes_offline_when_online_fails_and_never_raises(no_key, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    monkeypatch.setattr(wandb_mode, "unreachable", lambda url, timeout=0: None)  # the server answers
    wandb = FakeWandb(fails={"online"})
    opened = wandb_mode.open_run(wandb, "auto", id="cell-1")
    assert (opened.run, opened.mode, wandb.calls) == ("run-offline", "offline", ["online", "offline"])
    assert opened.note == "online start failed (online start failed for key *** second line)"  # one line, no key

    wandb = FakeWandb(fails={"offline"})
    opened = wandb_mode.open_run(wandb, "offline", id="cell-1")
    assert (opened.run, opened.mode, wandb.calls) == (None, "failed", ["offline"])
    assert wandb_mode.describe(opened, "r/wandb") == "W&B logging failed: offline start failed for key *** second line"


def test_a_failure_after_the_record_is_stored_is_a_warning(tmp_path, caplog, monkeypatch):
    from strikebench.results.record import CellRecord
    from strikebench.tracking.wandb_logger import WandbTracking, logged_marker
    from tests.results.test_record import hand_record

    class BrokenRun:
        def __init__(self):
            self.config = types.SimpleNamespace(update=lambda *a, **k: None)

        @property
        def summary(self):
            raise OSError(f"disk full while writing for {SECRET}")

    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    tracking = WandbTracking(mode="offline", dir=str(tmp_path))
    tracking.run, tracking.entry = BrokenRun(), {"run": "cell-abc123", "mode": "offline"}
    tracking.finish(CellRecord.from_json(hand_record()), tmp_path / "cells" / "abc123")  # does not raise
    assert "W&B logging failed (logging the stored record): disk full while writing for" in caplog.text
    assert "strikebench wandb-sync" in caplog.text and SECRET not in caplog.text
    assert not logged_marker(tmp_path, "abc123").exists()  # wandb-sync will log it


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["online", "auto"])
def test_an_unreachable_server_leaves_the_cell_whole_and_offline(tmp_path, mode):
    port = closed_port()
    run = strikebench("model=pop", "strike.participation=0.2", *SMALL, f"data_root={tmp_path / 'data'}",
                      f"results_dir={tmp_path / 'r'}", "logger=wandb", f"logger.mode={mode}", cwd=tmp_path,
                      env_extra={"WANDB_API_KEY": SECRET, "WANDB_BASE_URL": f"http://127.0.0.1:{port}"})
    assert run.returncode == 0, run.stderr[-3000:]
    (record,) = store.iter_records(tmp_path / "r")
    warning = record["tracking"]["wandb"]
    assert warning["mode"] == "offline" and "unreachable" in warning["warning"]
    lines = [line for line in run.stderr.splitlines() if "W&B" in line]
    assert lines == [f"strikebench: W&B server http://127.0.0.1:{port} unreachable ([Errno 111] Connection refused): "
                     f"logging offline under {tmp_path / 'r' / 'wandb'} (sync later: wandb sync "
                     f"{tmp_path / 'r' / 'wandb'}/offline-run-*)"]
    assert list((tmp_path / "r" / "wandb").glob(f"offline-run-*-cell-{record['cell_key']}"))
    assert SECRET not in run.stdout + run.stderr
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert SECRET.encode() not in path.read_bytes(), path


# --- what a run holds -------------------------------------------------------------------------


def test_run_config_and_summary_from_a_hand_record():
    from strikebench.results.record import CellRecord
    from tests.results.test_record import hand_record

    raw = hand_record()
    raw["participants"].update(count=3, group_size=8, participation=0.3)
    raw["config"].update(dataset={"name": "tiny"}, split={"mode": "RS"}, eval={"ks": [10]})
    record = CellRecord.from_json(raw)
    config = wandb_record.run_config(record)
    assert config == {"dataset": "tiny", "model": "Pop", "family": "non-personalised", "lever": "transfer",
                      "selector": "random", "participation": 0.0, "participation_realised": 3 / 8,
                      "participants": 3, "seed": 0, "study": config["study"], "mask": "company",
                      "cell_key": "abc123"}
    assert config["study"].startswith("tiny-") and len(config["study"]) == len("tiny-") + 8  # described from its config
    other_eval = CellRecord.from_json({**raw, "config": {**raw["config"], "eval": {"ks": [20]}}})
    assert wandb_record.study_of(other_eval) != config["study"]  # another protocol: another study
    assert wandb_record.study_of(CellRecord.from_json({**raw, "study": {"id": "ml-100k-v1"}})) == "ml-100k-v1"
    summary = wandb_record.run_summary(record)
    assert summary["incumbent/holdout/all/ndcg@10"] == 0.25 and summary["incumbent/company/all/n_users"] == 1
    assert summary["participants/realised"] == 3 / 8 and summary["timings/total_s"] == 1.5
    assert wandb_record.run_id("abc123") == "cell-abc123"
    assert wandb_record.sweep_run_id("2026-01-01_10-00-00") == "sweep-2026-01-01_10-00-00"
    assert wandb_record.sweep_run_id("my study: p/seeds") == "sweep-my-study-p-seeds"


@pytest.mark.slow
def test_a_live_cell_run_has_per_epoch_history_for_both_companies(tmp_path):
    run = strikebench("model=bpr", "trainer=tiny", "strike/lever=transfer", "strike.participation=0.3", *SMALL,
                      f"data_root={tmp_path / 'data'}", f"results_dir={tmp_path / 'r'}", "logger=wandb",
                      "logger.group=my-study", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "wandb:" not in run.stdout + run.stderr  # no banner
    (record,) = store.iter_records(tmp_path / "r")
    (run_dir,) = (tmp_path / "r" / "wandb").glob("offline-run-*")
    logged = read_run(run_dir)
    assert logged.run_id == wandb_record.run_id(record["cell_key"]) and logged.group == "my-study"
    assert logged.job_type == "transfer" and logged.tags == ["matrix_factorisation", "BPR"] and logged.exited
    for company in ("incumbent", "competitor"):  # trainer=tiny: 2 epochs, each with its loss and validation
        rows = [h for h in logged.history if f"{company}/epoch" in h]
        assert [h[f"{company}/epoch"] for h in rows if f"{company}/train/loss" in h] == [0, 1]
        valid = [h[f"{company}/valid/ndcg@10"] for h in rows if f"{company}/valid/ndcg@10" in h]
        assert len(valid) == 2 and all(0 <= v <= 1 for v in valid)
        assert record["companies"][company]["training"]["best_valid"] == pytest.approx(max(valid))
    participants = record["participants"]
    assert {k: logged.config[k] for k in ("dataset", "model", "family", "lever", "selector", "participation",
                                           "participation_realised", "seed")} == {
        "dataset": "synthetic", "model": "BPR", "family": "matrix_factorisation", "lever": "transfer(base_share=0.0)",
        "selector": "random", "participation": 0.3,
        "participation_realised": participants["count"] / participants["group_size"], "seed": 0}
    assert logged.config["study"].startswith("synthetic-")
    assert not any("/" in str(v) for k, v in logged.config.items() if k != "_wandb")  # no local paths
    for row in (("incumbent", "holdout", "participants"), ("competitor", "company", "non_participants")):
        metrics = record["companies"][row[0]]["metrics"][row[1]][row[2]]
        assert logged.summary["/".join(row) + "/ndcg@10"] == pytest.approx(metrics["ndcg@10"])
        assert logged.summary["/".join(row) + "/n_users"] == metrics["n_users"]
    assert logged.artifacts == [(f"record-{record['cell_key']}", "cell-record")]
    assert record["tracking"] == {"wandb": {"run": logged.run_id, "mode": "offline"}}


# --- sweeps and past cells --------------------------------------------------------------------


@pytest.mark.slow
def test_a_sweep_logs_its_table_and_study_chart_in_its_group(tmp_path):
    results = tmp_path / "r"
    run = strikebench("-m", "model=pop", "strike.participation=0,0.3", "seed=0,1", *SMALL,
                      f"data_root={tmp_path / 'data'}", f"results_dir={results}", "logger=wandb", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    (sweep_dir,) = (results / "sweeps").iterdir()  # visible, beside cells/, not under .hydra/
    planned = json.loads((sweep_dir / "cells.json").read_text())
    assert len(planned) == 4 and {c["key"] for c in planned} == {r["cell_key"] for r in store.iter_records(results)}
    for job in range(4):  # each cell's job log holds its lines
        assert "[done] Pop strike p=" in (sweep_dir / str(job) / "hydra_app.log").read_text()
    runs = {read_run(d).run_id: read_run(d) for d in (results / "wandb").glob("offline-run-*")}
    assert len(runs) == 5 and {r.group for r in runs.values()} == {sweep_dir.name}
    summary_run = runs[wandb_record.sweep_run_id(sweep_dir.name)]
    assert summary_run.job_type == "sweep-summary" and summary_run.exited
    files = results / "wandb" / next(d.name for d in (results / "wandb").glob(f"offline-run-*-{summary_run.run_id}"))
    (table_file,) = (files / "files" / "media" / "table").glob("summary_*.table.json")
    table = json.loads(table_file.read_text())
    rows = [dict(zip(table["columns"], row)) for row in table["data"]]
    assert {(r["dataset"], r["family"], r["model"], r["p"], r["seeds"]) for r in rows} == {
        ("synthetic", "non_personalised", "Pop", 0.0, 2), ("synthetic", "non_personalised", "Pop", 0.3, 2)}
    # The study chart: a W&B line chart per group, backed by a Table of (participation, mean or band edge, line).
    chart = summary_run.config["_wandb/visualize/study/ndcg@10/all"]  # a nested key, read joined with /
    assert chart["panel_config"]["panelDefId"] == "wandb/line/v0"
    assert chart["panel_config"]["fieldSettings"] == {"x": "participation", "y": "ndcg@10", "stroke": "line"}
    (chart_file,) = (files / "files" / "media" / "table" / "study" / "ndcg@10").glob("all_table_*.table.json")
    lines = json.loads(chart_file.read_text())["data"]
    means = {p: v for p, v, line in lines if line == "non_personalised"}
    assert set(means) == {0.0, 0.3} and {line for _, _, line in lines} == {
        "non_personalised", "non_personalised -sd", "non_personalised +sd"}
    by_p = {r["p"]: r for r in rows}  # one family of one model: the family's curve is the model's
    for p, mean in means.items():
        assert mean == pytest.approx(by_p[p]["all_mean"])
        assert dict((line, v) for q, v, line in lines if q == p)["non_personalised +sd"] == pytest.approx(
            by_p[p]["all_mean"] + by_p[p]["all_sd"])
    status = strikebench("status", str(results), cwd=tmp_path)
    assert status.stdout.startswith(f"{results}: 4 done, 0 running, 0 failed, 0 missing\n")


@pytest.mark.slow
def test_wandb_sync_logs_past_cells_once_keyed_by_cell(tmp_path, no_key):
    from strikebench.app.cli import main

    results = tmp_path / "r"
    assert main(["model=pop", "strike.participation=0.1", *SMALL, f"data_root={tmp_path / 'data'}",
                 f"results_dir={results}"]) == 0  # logger=local: no W&B at all
    assert not (results / "wandb").exists()
    (record,) = store.iter_records(results)
    first = strikebench("wandb-sync", str(results), "--group", "past", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.splitlines()[-1] == f"wandb-sync {results}: 1 cells logged, 0 already logged, 0 failed"
    (run_dir,) = (results / "wandb").glob("offline-run-*")
    logged = read_run(run_dir)
    assert (logged.run_id, logged.group) == (wandb_record.run_id(record["cell_key"]), "past")
    assert logged.summary["incumbent/holdout/all/ndcg@10"] == pytest.approx(
        record["companies"]["incumbent"]["metrics"]["holdout"]["all"]["ndcg@10"])
    assert logged.config["model"] == "Pop" and logged.history == []  # training is past: no history
    again = strikebench("wandb-sync", str(results), cwd=tmp_path)
    assert again.stdout.splitlines()[-1] == f"wandb-sync {results}: 0 cells logged, 1 already logged, 0 failed"
    assert len(list((results / "wandb").glob("offline-run-*"))) == 1


def test_the_study_chart_averages_a_familys_models_per_seed_then_over_seeds():
    import pandas as pd

    from strikebench.reporting.study_curves import chart_rows, family_curves

    def row(model, family, p, seed, value, group="all"):
        return {"dataset": "d", "lever": "strike", "selector": "random", "model": model, "family": family,
                "participation": p, "seed": seed, "group": group, "value": value}

    rows = pd.DataFrame([
        # matrix factorisation: BPR and NeuMF averaged per seed (seed 0: 0.3, seed 1: 0.5), then over seeds
        row("BPR", "mf", 0.1, 0, 0.2), row("NeuMF", "mf", 0.1, 0, 0.4),
        row("BPR", "mf", 0.1, 1, 0.4), row("NeuMF", "mf", 0.1, 1, 0.6),
        row("Pop", "pop", 0.1, 0, 0.1),  # one seed: no band
        row("Pop", "pop", 0.0, 0, float("nan"), group="participants"),  # an empty group has no value
    ])
    curves = family_curves(rows)
    mf = curves[curves["curve"] == "mf"].iloc[0]
    assert (mf["group"], mf["participation"], mf["seeds"]) == ("all", 0.1, 2)
    assert mf["mean"] == pytest.approx(0.4) and mf["sd"] == pytest.approx(0.1414213562)  # sd of 0.3 and 0.5
    assert len(curves) == 2  # the empty participants group at p = 0 has no point
    assert chart_rows(curves, "all") == [
        [0.1, pytest.approx(0.4), "mf"], [0.1, pytest.approx(0.4 - 0.1414213562), "mf -sd"],
        [0.1, pytest.approx(0.4 + 0.1414213562), "mf +sd"], [0.1, pytest.approx(0.1), "pop"]]
