"""Shared fixtures: configs composed like the CLI does, and tiny hand-built datasets.

The whole suite runs with one torch thread (and OMP/MKL limited to one for subprocesses: these
models are tiny, and two OpenMP threads on a busy 2-core machine spin-wait each other into runs
tens of times slower), writes its datasets and caches under a session-wide temporary data root
(``STRIKEBENCH_DATA``), never under ``~/.cache/strikebench``, and runs Hypothesis derandomised
under CI=true.
"""
from __future__ import annotations

import os
from pathlib import Path

# Before torch is imported (here, through compat): subprocesses inherit these too.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np
import pytest
import torch
from hypothesis import settings as hypothesis_settings

from benchmarks.recbole_settings import INTERACTION_SETTINGS as TINY_SETTINGS
from strikebench import compat
from tests.helpers.slurm import slurm_status

compat.apply()


def pytest_addoption(parser):
    parser.addoption("--heavy", action="store_true",
                     help="also run the tests marked heavy (STRIKEBENCH_HEAVY=1 does the same)")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``heavy`` run with --heavy only: they repeat a check the suite already makes
    once (another model's quality, another Slurm signal) and would double CI's time."""
    if config.getoption("--heavy") or os.environ.get("STRIKEBENCH_HEAVY") == "1":
        return
    skip = pytest.mark.skip(reason="heavy: run with python -m pytest --heavy")
    for item in items:
        if "heavy" in item.keywords:
            item.add_marker(skip)

# CI: the same examples on every run (a failure reproduces); locally, Hypothesis explores.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One torch thread for the whole suite (in-process; subprocesses get OMP/MKL_NUM_THREADS=1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True, scope="session")
def isolated_data_root(tmp_path_factory):
    """The suite's data root: datasets, caches and checksums go here, never to the user's
    ``~/.cache/strikebench``. One per session, so ML-100K is preprocessed once (on first use) and
    reused by every test and subprocess; ``STRIKEBENCH_TEST_DATA`` names a folder to keep it in
    across sessions instead."""
    kept = os.environ.get("STRIKEBENCH_TEST_DATA")
    root = Path(kept) if kept else tmp_path_factory.mktemp("strikebench-data", numbered=False)
    root.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("STRIKEBENCH_DATA")
    os.environ["STRIKEBENCH_DATA"] = str(root)
    yield root
    if before is None:
        os.environ.pop("STRIKEBENCH_DATA", None)
    else:
        os.environ["STRIKEBENCH_DATA"] = before


@pytest.fixture
def compose_cfg(tmp_path):
    """compose_cfg(["model=pop", ...]) -> the cell config, writing results under tmp_path."""
    from strikebench.app.sweep import compose_cell

    def _compose(overrides=(), results_dir=None):
        return compose_cell([f"results_dir={results_dir or tmp_path / 'results'}", *overrides])

    return _compose


def write_atomic(directory: Path, name: str, rows, header="user_id:token\titem_id:token\trating:float\ttimestamp:float") -> Path:
    """Write ``<directory>/<name>/<name>.inter`` from (user, item, rating, timestamp) rows."""
    folder = Path(directory) / name
    folder.mkdir(parents=True, exist_ok=True)
    lines = [header] + ["\t".join(str(v) for v in row) for row in rows]
    (folder / f"{name}.inter").write_text("\n".join(lines) + "\n")
    return folder



@pytest.fixture
def tiny_data(tmp_path):
    """6 users (u1..u6) x 10 interactions each over items i1..i12, loaded through RecBole."""
    from strikebench.data.interactions import load_interactions

    rng = np.random.default_rng(0)
    rows = []
    t = 0
    for u in range(1, 7):
        for i in rng.choice(np.arange(1, 13), size=10, replace=False):
            t += 1
            rows.append((f"u{u}", f"i{i}", int(rng.integers(1, 6)), t))
    folder = write_atomic(tmp_path / "data", "tiny", rows)
    return load_interactions("tiny", folder, TINY_SETTINGS)


@pytest.fixture(scope="session")
def ml100k():
    """ML-100K and its default fixed split, loaded once per test session."""
    from hydra import compose

    from strikebench.config.paths import config_context
    from strikebench.data.cache import get_split

    with config_context():
        cfg = compose("config")
    return get_split(cfg.dataset, cfg.data_root, cfg.split)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


# --- the local Slurm cluster (slurm/setup_local_cluster.sh): tests/helpers/slurm.py ----------
@pytest.fixture(scope="session")
def slurm_partition() -> str:
    """Partition to submit to; skips (or fails when CI=true) without a usable cluster."""
    problem, partition = slurm_status()
    if problem:
        msg = f"{problem}; start one with: sudo slurm/setup_local_cluster.sh"
        if in_ci():
            pytest.fail(f"CI=true but no usable Slurm cluster: {msg}", pytrace=False)
        pytest.skip(f"no usable Slurm cluster: {msg}")
    assert partition
    return partition
