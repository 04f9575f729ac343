"""Bad input stops before any training, names the field, and leaves nothing half-written."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from strikebench.app.cli import main
from tests.conftest import write_atomic


@pytest.fixture
def run(capsys):
    """The command line, in this process: every case here stops before Hydra launches anything."""

    def _run(*args, cwd=None):
        code = main(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return _run


def assert_refused(result, *needles, results_dir):
    assert result.returncode == 2, (result.stdout[-1000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert not (results_dir / "cells").exists()  # nothing written


@pytest.mark.parametrize("value", ["1.5", "-0.2", "abc"])
def test_participation_outside_unit_interval(run, tmp_path, value):
    results = tmp_path / "r"
    result = run("model=pop", f"strike.participation={value}", f"results_dir={results}")
    assert_refused(result, "strike.participation", results_dir=results)


def test_bad_participation_in_one_cell_stops_the_whole_sweep_first(run, tmp_path):
    results = tmp_path / "r"
    result = run("-m", "model=pop", "strike.participation=0,0.5,2", f"results_dir={results}")
    assert_refused(result, "strike.participation", "2", results_dir=results)


def test_unknown_model_config(run, tmp_path):
    results = tmp_path / "r"
    result = run("model=nosuchmodel", f"results_dir={results}")
    assert_refused(result, "model/nosuchmodel", "bpr", results_dir=results)


def test_unknown_recbole_model_name(run, tmp_path):
    results = tmp_path / "r"
    result = run("model=pop", "model.name=NoSuchNet", f"results_dir={results}")
    assert_refused(result, "model.name", "NoSuchNet", "itemknn", results_dir=results)


def test_unknown_dataset(run, tmp_path):
    results = tmp_path / "r"
    result = run("dataset=nosuchdata", f"results_dir={results}")
    assert_refused(result, "dataset/nosuchdata", "ml-100k", results_dir=results)


def test_missing_atomic_file(run, tmp_path):
    results = tmp_path / "r"
    folder = write_atomic(tmp_path / "data", "mini", [("u1", "i1", 4, 1), ("u2", "i2", 3, 2)])
    # The default ml-100k entry names .user and .item files, which this dataset lacks.
    result = run("dataset.name=mini", "dataset.source=manual", "dataset.instructions=by hand", f"data_root={tmp_path / 'data'}",
                 f"results_dir={results}")
    assert_refused(result, str(folder / "mini.user"), results_dir=results)


def test_malformed_atomic_file(run, tmp_path):
    results = tmp_path / "r"
    folder = tmp_path / "data" / "broken"
    folder.mkdir(parents=True)
    (folder / "broken.inter").write_text("user_id\titem_id\nu1\ti1\n")  # no `:type` in the header
    result = run("dataset.name=broken", "dataset.source=manual", "dataset.instructions=by hand", "dataset.recbole.load_col={inter:[user_id,item_id]}",
                 f"data_root={tmp_path / 'data'}", f"results_dir={results}")
    assert_refused(result, "broken.inter", "name:type", results_dir=results)


def test_strike_leaving_no_training_data(run, tmp_path):
    results = tmp_path / "r"
    result = run("model=pop", "strike.participation=1", f"results_dir={results}")
    assert_refused(result, "strike.participation=1", "no training data", results_dir=results)


@pytest.mark.parametrize("override", ["trainer.data_path=turbo", "trainer.data_path=fast model=gru4rec split=sequential"])
def test_unusable_data_path(run, tmp_path, override):
    results = tmp_path / "r"
    result = run(*override.split(), f"results_dir={results}")
    assert_refused(result, "trainer.data_path", results_dir=results)


@pytest.mark.parametrize("override, field", [
    ("trainer.strategy=ddp_spawn", "trainer.strategy"),
    ("trainer.devices=2", "trainer.devices"),  # several devices without trainer=ddp
    ("trainer=ddp trainer.devices=0", "trainer.devices"),
    ("trainer=ddp trainer.devices=auto", "trainer.devices"),
    ("trainer=ddp trainer.data_path=fast", "trainer.data_path"),
])
def test_unusable_strategy_or_devices(run, tmp_path, override, field):
    results = tmp_path / "r"
    result = run("model=bpr", *override.split(), f"results_dir={results}")
    assert_refused(result, field, results_dir=results)


@pytest.mark.parametrize("launcher", ["hydra/launcher=local", "hydra/launcher=slurm_cpu hydra.launcher.tasks_per_node=1"])
def test_ddp_sweep_needs_one_slurm_task_per_device(run, tmp_path, launcher):
    results = tmp_path / "r"
    result = run("-m", *launcher.split(), "trainer=ddp", "model=bpr", "strike.participation=0,0.3",
                 f"results_dir={results}")
    assert_refused(result, "hydra.launcher.tasks_per_node", "one Slurm task per device", results_dir=results)


def test_gpu_cells_are_checked_for_cuda_only_where_they_run(tmp_path):
    """A Slurm sweep is submitted from a login node without GPUs: its cells' GPUs are on the nodes."""
    import torch

    from strikebench.errors import StrikebenchError
    from strikebench.app.hydra_app import preflight_all

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the local check would pass too")
    cell = ["trainer=gpu", "model=pop", "strike.participation=0", f"results_dir={tmp_path / 'r'}"]
    preflight_all(["hydra/launcher=slurm", *cell], multirun=True)  # no error: CUDA is checked in the job
    with pytest.raises(StrikebenchError, match="trainer.accelerator: gpu was asked for"):
        preflight_all(["hydra/launcher=local", *cell], multirun=True)
    assert not (tmp_path / "r" / "cells").exists()
