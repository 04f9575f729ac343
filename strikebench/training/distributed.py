"""Which process of a data-parallel cell this is.

With ``trainer=ddp`` every process runs the whole cell: Slurm starts one task per device, or
Lightning starts the other processes when rank 0 begins to train (rerunning the same command).
Every rank trains; only rank 0 evaluates, writes the record and cleans up.
"""
from __future__ import annotations

import os


# Where each launcher puts the ranks, in the order Lightning reads them: torchrun, Lightning's
# own launcher, srun.
GLOBAL_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID")
LOCAL_RANK_VARIABLES = ("LOCAL_RANK", "SLURM_LOCALID")

STRATEGIES = ("auto", "ddp")


def _first(variables) -> int:
    for name in variables:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def global_rank() -> int:
    import torch.distributed as dist  # here: the pre-sweep check and `plan` read strategies without torch

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _first(GLOBAL_RANK_VARIABLES)


def is_rank_zero() -> bool:
    return global_rank() == 0


def local_rank() -> int:
    """This process's device index on its node."""
    return _first(LOCAL_RANK_VARIABLES)


def strategy_of(trainer_cfg) -> str:
    """``trainer.strategy``; configs written before the option existed mean one device."""
    return str(trainer_cfg.get("strategy") or "auto")


def is_data_parallel(trainer_cfg) -> bool:
    return strategy_of(trainer_cfg) == "ddp"
