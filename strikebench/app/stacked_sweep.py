"""``-m`` sweeps run in this process with ``trainer.stack=K``: strikebench's sweeper
(hydra_plugins/strikebench_sweeper) hands each batch of jobs here before Hydra's launcher runs
them. The cells that stack train in groups (app/stacked_cells.py) and store their records; each
job then reports its cell's outcome (app/hydra_app.py) as it reports a cell it trained: its log
line, job folder and progress, or its failure for ``strikebench status``."""
from __future__ import annotations

from pathlib import Path

from strikebench.app.cell import CellOutcome

_OUTCOMES: dict[str, CellOutcome | Exception] = {}  # cell key -> what its group did, until its job asks


def asks_for_stacking(master_config, batch) -> bool:
    """Whether any job of ``batch`` may stack (a cheap look at the overrides, before composing)."""
    stack = master_config.get("trainer", {}).get("stack", 1)
    return (isinstance(stack, int) and stack > 1) or any(o.lstrip("+").startswith("trainer.stack=")
                                                             for job in batch for o in job)


def train_batch(master_config, batch, config_loader) -> None:
    """Train the groups of ``batch`` (override lists) that stack; single cells are left to their jobs."""
    from strikebench.app.expansion import resolved_config
    from strikebench.app.lightning_parts import tracking_of
    from strikebench.app.stack_groups import groups_of
    from strikebench.app.stacked_cells import run_group
    from strikebench.results.keys import cell_key

    if not asks_for_stacking(master_config, batch):
        return
    sweep = Path(str(master_config.hydra.sweep.dir)).name
    cfgs = [_cell_config(config_loader.load_sweep_config(master_config, list(job))) for job in batch]
    for group in groups_of(cfgs):
        if len(group) == 1:
            continue
        try:
            outcomes = run_group(group, _say, lambda cfg: tracking_of(cfg, sweep=sweep))
        except Exception as exc:  # noqa: BLE001 - each job of the group fails with it, and records it
            for cfg in group:
                _OUTCOMES[cell_key(resolved_config(cfg))] = exc
            continue
        for outcome in outcomes:
            _OUTCOMES[outcome.key] = outcome


def _say(message: str) -> None:
    """A group's lines: on the console (Hydra sets up its job logs only when a job runs)."""
    print(f"  {message}", flush=True)


def _cell_config(config):
    """A job's config without Hydra's node, which only its launch fills in (``hydra.job.num``)."""
    from omegaconf import open_dict

    with open_dict(config):
        config.pop("hydra", None)
    return config


def outcome_of(key: str) -> CellOutcome | None:
    """The outcome of cell ``key`` if its group ran it in this process (raising what the group
    raised), else None: the job runs its cell itself."""
    found = _OUTCOMES.pop(key, None)
    if isinstance(found, Exception):
        raise found
    return found
