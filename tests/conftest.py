"""Shared fixtures: configs composed like the CLI does, and tiny hand-built datasets."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks.recbole_settings import INTERACTION_SETTINGS as TINY_SETTINGS
from strikebench import compat

compat.apply()


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


# --- the local Slurm cluster (slurm/setup_local_cluster.sh) ---------------------------------
SLURM_COMMANDS = ("sbatch", "sinfo", "squeue", "scancel", "sacct", "scontrol")
USABLE_NODE_STATES = {"idle", "mix", "mixed", "alloc", "allocated", "comp", "completing"}
TERMINAL_STATES = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
    "BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED",
}


def run_quiet(cmd: list[str], timeout: float = 30, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def _slurm_problem() -> tuple[str | None, str | None]:
    """(problem, default partition): problem is None when the cluster is usable."""
    missing = [c for c in SLURM_COMMANDS if shutil.which(c) is None]
    if missing:
        return f"Slurm commands not on PATH: {', '.join(missing)}", None
    try:
        info = run_quiet(["sinfo", "-h", "-o", "%P %t"])
        if info.returncode != 0:
            return f"sinfo failed (cluster not up?): {info.stderr.strip()}", None
        partition, usable = None, False
        for line in info.stdout.splitlines():
            name, state = line.split()
            if name.endswith("*"):  # sinfo marks the default partition with '*'
                name = name[:-1]
                partition = partition or name
            usable |= state in USABLE_NODE_STATES
        if not usable:
            return f"no node is usable (sinfo: {info.stdout.strip()!r})", None
        acct = run_quiet(["sacct", "-n", "-X", "-S", "now-1minutes"])
        if acct.returncode != 0:
            return f"accounting not working, sacct failed: {acct.stderr.strip()}", None
    except subprocess.TimeoutExpired as e:
        return f"{e.cmd[0]} timed out (controller unreachable?)", None
    if partition is None:
        partition = info.stdout.split()[0].rstrip("*")
    return None, partition


@pytest.fixture(scope="session")
def slurm_partition() -> str:
    """Partition to submit to; skips (or fails when CI=true) without a usable cluster."""
    problem, partition = _slurm_problem()
    if problem:
        msg = f"{problem}; start one with: sudo slurm/setup_local_cluster.sh"
        if in_ci():
            pytest.fail(f"CI=true but no usable Slurm cluster: {msg}", pytrace=False)
        pytest.skip(f"no usable Slurm cluster: {msg}")
    assert partition
    return partition
