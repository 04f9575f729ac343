"""Bad input stops before any training, names the field, and leaves nothing half-written."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from strikebench.app.cli import main
from tests.conftest import write_atomic
from tests.helpers.run_if import RunIf


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


def manual_dataset(tmp_path, name, text=None, rows=None) -> list[str]:
    """A manual dataset under ``tmp_path / data``: ``rows`` as an atomic file, or the file's raw ``text``."""
    if rows is not None:
        write_atomic(tmp_path / "data", name, rows)
    else:
        (tmp_path / "data" / name).mkdir(parents=True)
        (tmp_path / "data" / name / f"{name}.inter").write_text(text)
    return [f"dataset.name={name}", "dataset.source=manual", "dataset.instructions=by hand",
            f"data_root={tmp_path / 'data'}"]


# (command-line arguments, texts the one-line error must hold); ``{data}`` is the test's data
# folder. Each is refused with exit code 2 before any cell runs, and nothing is written.
REFUSED = {
    "participation above 1": (["model=pop", "strike.participation=1.5"], ["strike.participation"]),
    "participation below 0": (["model=pop", "strike.participation=-0.2"], ["strike.participation"]),
    "participation not a number": (["model=pop", "strike.participation=abc"], ["strike.participation"]),
    "one bad cell stops the whole sweep first": (["-m", "model=pop", "strike.participation=0,0.5,2"],
                                                 ["strike.participation", "2"]),
    "unknown model config": (["model=nosuchmodel"], ["model/nosuchmodel", "bpr"]),
    "unknown RecBole model name": (["model=pop", "model.name=NoSuchNet"], ["model.name", "NoSuchNet", "itemknn"]),
    "unknown dataset": (["dataset=nosuchdata"], ["dataset/nosuchdata", "ml-100k"]),
    "a strike leaving no training data": (["model=pop", "strike.participation=1"],
                                          ["strike.participation=1", "no training data"]),
    "unknown data path": (["trainer.data_path=turbo"], ["trainer.data_path"]),
    "fast data path for a sequential model": (["trainer.data_path=fast", "model=gru4rec", "split=sequential"],
                                              ["trainer.data_path"]),
    "a spawn strategy": (["model=bpr", "trainer.strategy=ddp_spawn"], ["trainer.strategy"]),
    "several devices without trainer=ddp": (["model=bpr", "trainer.devices=2"], ["trainer.devices"]),
    "ddp on no device": (["model=bpr", "trainer=ddp", "trainer.devices=0"], ["trainer.devices"]),
    "ddp on auto devices": (["model=bpr", "trainer=ddp", "trainer.devices=auto"], ["trainer.devices"]),
    "ddp on the fast data path": (["model=bpr", "trainer=ddp", "trainer.data_path=fast"], ["trainer.data_path"]),
    "a ddp sweep launched locally": (["-m", "hydra/launcher=local", "trainer=ddp", "model=bpr",
                                      "strike.participation=0,0.3"],
                                     ["hydra.launcher.tasks_per_node", "one Slurm task per device"]),
    "a ddp sweep on one Slurm task": (["-m", "hydra/launcher=slurm_cpu", "hydra.launcher.tasks_per_node=1",
                                       "trainer=ddp", "model=bpr", "strike.participation=0,0.3"],
                                      ["hydra.launcher.tasks_per_node", "one Slurm task per device"]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_input_is_refused_naming_the_field(run, tmp_path, case):
    args, needles = REFUSED[case]
    results = tmp_path / "r"
    assert_refused(run(*args, f"results_dir={results}"), *needles, results_dir=results)


# Bad dataset files: (the dataset's overrides from its folder, the texts the error must hold).
BAD_FILES = {
    # The default ml-100k entry names .user and .item files, which this dataset lacks.
    "a missing atomic file": (lambda tmp: manual_dataset(tmp, "mini", rows=[("u1", "i1", 4, 1), ("u2", "i2", 3, 2)]),
                              lambda tmp: [str(tmp / "data" / "mini" / "mini.user")]),
    "a header without types": (lambda tmp: [*manual_dataset(tmp, "broken", text="user_id\titem_id\nu1\ti1\n"),
                                            "dataset.recbole.load_col={inter:[user_id,item_id]}"],
                               lambda tmp: ["broken.inter", "name:type"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_dataset_files_are_refused_naming_the_file(run, tmp_path, case):
    overrides, needles = BAD_FILES[case]
    results = tmp_path / "r"
    assert_refused(run(*overrides(tmp_path), f"results_dir={results}"), *needles(tmp_path), results_dir=results)


@RunIf(no_gpu=True)
def test_gpu_cells_are_checked_for_cuda_only_where_they_run(tmp_path):
    """A Slurm sweep is submitted from a login node without GPUs: its cells' GPUs are on the nodes."""
    from strikebench.app.hydra_app import preflight_all
    from strikebench.errors import StrikebenchError

    cell = ["trainer=gpu", "model=pop", "strike.participation=0", f"results_dir={tmp_path / 'r'}"]
    preflight_all(["hydra/launcher=slurm", *cell], multirun=True)  # no error: CUDA is checked in the job
    with pytest.raises(StrikebenchError, match="trainer.accelerator: gpu was asked for"):
        preflight_all(["hydra/launcher=local", *cell], multirun=True)
    assert not (tmp_path / "r" / "cells").exists()
