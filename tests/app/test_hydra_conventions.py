"""Hydra conventions: callbacks and precision from the command line (``_target_`` configs), the
cell's lines in Hydra's job log, sweep outputs under results/sweeps/<name>/, ``--cfg job --resolve``."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from strikebench.results import store
from strikebench.results.keys import cell_key, identity

SMALL = ["dataset=synthetic", "dataset.synthetic.n_users=120", "dataset.synthetic.n_items=80",
         "dataset.synthetic.n_interactions=3000"]


@pytest.mark.parametrize("override, message", [
    ("+callbacks.late._target_=no.such.Callback",
     "callbacks.late._target_: cannot build 'no.such.Callback': Error loading 'no.such.Callback': "
     "ModuleNotFoundError(\"No module named 'no'\")"),
    ("+callbacks.odd._target_=collections.OrderedDict",
     "callbacks.odd._target_: collections.OrderedDict is not a Lightning callback "
     "(allowed: a subclass of lightning.pytorch.Callback)"),
    ("+callbacks.lr._target_=lightning.pytorch.callbacks.LearningRateMonitor",
     "callbacks.lr: LearningRateMonitor logs to a Lightning logger, and logger=local has none (allowed: logger=wandb)"),
    ("+callbacks.bare.monitor=x", "callbacks.bare: a callback needs a _target_ (its class)"),
    ("trainer.precision=fp8", "trainer.precision: unknown precision 'fp8' (allowed: null, transformer-engine"),
    ("logger=wandb logger.mode=sometimes", "logger.mode: unknown mode 'sometimes' (allowed: auto, online, offline)"),
])
def test_a_bad_callback_precision_or_logger_stops_before_training(tmp_path, capsys, override, message):
    from strikebench.app.cli import main

    code = main(["model=bpr", *override.split(), f"results_dir={tmp_path / 'r'}"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"strikebench: error: {message}"), err
    assert not (tmp_path / "r").exists()  # nothing ran, nothing was written


@pytest.mark.slow
def test_a_user_callback_and_precision_from_the_command_line(tmp_path, capfd):
    from strikebench.app.cli import main

    seen = tmp_path / "seen.jsonl"
    base = ["model=bpr", "trainer=tiny", "strike.participation=0.2", *SMALL, f"data_root={tmp_path / 'data'}",
            f"results_dir={tmp_path / 'r'}"]
    extra = ["+callbacks.seen._target_=tests.lightning_callbacks.Seen", f"+callbacks.seen.path={seen}",
             "trainer.precision=bf16-mixed"]
    assert main([*base, *extra]) == 0, capfd.readouterr().err[-2000:]
    (fit,) = [json.loads(line) for line in seen.read_text().splitlines()]  # one company, one fit
    assert fit["epochs"] == [0, 1] and fit["precision"] == "bf16-mixed"
    # The protocol's early stopping, random states and checkpoint stay; the user's callback is
    # appended (Lightning itself moves checkpoint callbacks last).
    assert fit["callbacks"] == ["EarlyStopping", "RandomStates", "Seen", "ModelCheckpoint"]
    (record,) = store.iter_records(tmp_path / "r")
    assert record["companies"]["incumbent"]["training"]["best_epoch"] in (0, 1)
    assert record["config"]["callbacks"]["seen"]["_target_"] == "tests.lightning_callbacks.Seen"
    assert record["config"]["trainer"]["precision"] == "bf16-mixed"


def test_callbacks_and_precision_are_in_the_key_only_when_set():
    config = {"model": {"name": "BPR"}, "trainer": {"max_epochs": 2, "precision": None}, "callbacks": {}}
    assert identity(config) == {"model": {"name": "BPR"}, "trainer": {"max_epochs": 2}}  # as before the options
    with_callback = {**config, "callbacks": {"swa": {"_target_": "lightning.pytorch.callbacks.StochasticWeightAveraging"}}}
    bf16 = {**config, "trainer": {"max_epochs": 2, "precision": "bf16-mixed"}}
    assert len({cell_key(config), cell_key(with_callback), cell_key(bf16)}) == 3


@pytest.mark.slow
def test_a_cell_logs_its_lines_to_the_job_log(tmp_path):
    run = subprocess.run([sys.executable, "-m", "strikebench", "model=pop", "strike.participation=0.1", *SMALL,
                          f"data_root={tmp_path / 'data'}", f"results_dir={tmp_path / 'r'}"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("[done] Pop strike p=0.1 seed=0")]
    (job_log,) = (tmp_path / "r" / "runs").glob("*/hydra_app.log")  # visible, not under .hydra/
    assert job_log.read_text().rstrip().endswith(f"[strikebench.cell][INFO] - {line}")


def test_cfg_job_resolve_prints_the_resolved_config(tmp_path):
    run = subprocess.run([sys.executable, "-m", "strikebench", "--cfg", "job", "--resolve", "model=bpr",
                          "results_dir=out"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "work_dir: out/.work" in run.stdout and "${" not in run.stdout
