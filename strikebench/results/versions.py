"""Software versions and the git commit, written with every record."""
from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]  # a checkout; site-packages when installed from a wheel
# The exact versions CI used (scripts/write_constraints.sh): pip install -c constraints/ci-py311.txt .
CONSTRAINTS = "constraints/ci-py311.txt"


@functools.lru_cache(maxsize=1)
def software_versions() -> dict:
    versions = {"python": platform.python_version()}
    for package in ("strikebench", "recbole", "torch", "lightning", "numpy", "scipy", "pandas", "hydra-core"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["git_commit"] = _git_commit()
    return versions


def constraints_reference() -> dict:
    """The pins a reviewer rebuilds the environment from: the file's name and sha256 (None outside a checkout)."""
    try:
        digest = hashlib.sha256((REPOSITORY / CONSTRAINTS).read_bytes()).hexdigest()
    except OSError:
        digest = None
    return {"file": CONSTRAINTS, "sha256": digest, "install": f"pip install -c {CONSTRAINTS} ."}


def _git_commit() -> str | None:
    root = REPOSITORY
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
