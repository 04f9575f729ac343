"""``@RunIf(...)``: skip a test unless the machine offers what it needs, saying what is missing.

    @RunIf(min_gpus=1)     a CUDA device (2: two of them)
    @RunIf(no_gpu=True)    no CUDA device: a check that only means something without one
    @RunIf(slurm=True)     a usable local Slurm cluster (slurm/setup_local_cluster.sh)

As lightning-hydra-template's ``tests/helpers/run_if.py``: the conditions are evaluated once, when
the test is collected. Under CI=true a missing Slurm cluster is not skipped: the test's
``slurm_partition`` fixture fails it, since CI is supposed to start the cluster.
"""
from __future__ import annotations

import pytest


def cuda_devices() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


class RunIf:
    """A ``pytest.mark.skipif`` mark: use it as a decorator, in ``pytestmark`` or in ``pytest.param(marks=...)``."""

    def __new__(cls, min_gpus: int = 0, no_gpu: bool = False, slurm: bool = False):
        reasons = []
        if min_gpus and cuda_devices() < min_gpus:
            reasons.append(f"needs {min_gpus} CUDA device(s), found {cuda_devices()}")
        if no_gpu and cuda_devices():
            reasons.append(f"meant for a machine without CUDA, found {cuda_devices()} device(s)")
        if slurm:
            from tests.conftest import in_ci, slurm_status

            problem, _ = slurm_status()
            if problem and not in_ci():
                reasons.append(f"no usable Slurm cluster: {problem}; start one with: sudo slurm/setup_local_cluster.sh")
        return pytest.mark.skipif(bool(reasons), reason="; ".join(reasons) or "runs here")
