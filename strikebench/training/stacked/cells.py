"""The orchestrator's entry point: train the companies of several cells that share a model,
stacked when ``trainer.stack`` and the model allow it, else one at a time as today.

    members = [StackMember(f"{key}/{name}", held, view.train, view.valid, seed, validate), ...]
    group = fit_cells(cfg, members, split, device, work_dir)
    for member, fit in zip(members, group.results): evaluate fit.score_fn on the test set,
        write the member's record (skip those already stored), then checkpoint.clear(work_dir)
"""
from __future__ import annotations

import time
from pathlib import Path

from strikebench.training.stacked import group as stacked_group
from strikebench.training.stacked.config import stack_size
from strikebench.training.stacked.group import GroupResult
from strikebench.training.stacked.members import StackMember, check_members
from strikebench.training.stacked.models import unsupported_reason


def stacks(cfg, n_members: int) -> str | None:
    """Why these members train one at a time (None: they train stacked).

    Checks the model name only; the sampling is checked when the group's RecBole config exists.
    """
    if stack_size(cfg.trainer) <= 1:
        return "trainer.stack=1"
    if n_members <= 1:
        return "a single cell"
    return unsupported_reason(cfg.model.name)


def fit_cells(cfg, members: list[StackMember], split, device: str, work_dir: Path, log=None) -> GroupResult:
    """Train ``members`` (at most ``trainer.stack`` of them, sharing ``cfg`` but for the seed
    and the data): stacked (``group.fit_stacked``), or each alone with ``fit_company`` in its
    own ``work_dir / <index>`` when they do not stack (see :func:`stacks`)."""
    check_members(members)
    size = stack_size(cfg.trainer)
    if len(members) > size:
        raise ValueError(f"{len(members)} cells for a group of trainer.stack={size}")
    reason = stacks(cfg, len(members))
    if reason is None:
        return stacked_group.fit_stacked(cfg, members, device, Path(work_dir), log)
    started = time.perf_counter()
    results = [fit_alone(cfg, member, split, device, Path(work_dir) / str(i)) for i, member in enumerate(members)]
    return GroupResult(results, max(r.epochs for r in results), time.perf_counter() - started,
                       None, results[0].data_path)


def fit_alone(cfg, member: StackMember, split, device: str, work_dir: Path):
    """One member trained by ``fit_company``, the one-cell path, with the member's seed."""
    from omegaconf import OmegaConf

    from strikebench.training.fit import fit_company

    cell_cfg = OmegaConf.merge(cfg, {"seed": int(member.seed)})
    return fit_company(cell_cfg, member.data, split, member.train_rows, member.valid_rows, device, work_dir,
                       member.validate)
