"""The jobs of a sweep that Hydra runs in this process, composed without Hydra's cost per cell.

Hydra's basic sweeper composes every cell once to check it and its launcher once more to run it:
about 0.1 s of CPU a cell each time. strikebench's sweeper (hydra_plugins/strikebench_sweeper,
``hydra/sweeper: strikebench`` in conf/config.yaml) asks this module instead:

- :func:`unchecked` leaves out of Hydra's check the cells the pre-sweep check composed already;
- :class:`SweepJobs` is the config loader the in-process launcher composes each job with: Hydra
  composes each combination of config groups once (strikebench.app.expansion.Composer), each job
  sets its own values on a copy, and gets the override lists Hydra would record for it.
  ``tests/app/test_sweep_expansion.py`` checks each job's config against Hydra's.
"""
from __future__ import annotations

from hydra._internal.config_loader_impl import get_overrides_dirname
from omegaconf import OmegaConf, open_dict

from strikebench.app.expansion import Composer

_CHECKED: set[tuple[str, ...]] = set()


def mark_checked(cells) -> None:
    """The override lists the pre-sweep check composed and checked (strikebench.app.hydra_app)."""
    _CHECKED.clear()
    _CHECKED.update(tuple(cell) for cell in cells)


def unchecked(batch):
    return [cell for cell in batch if tuple(cell) not in _CHECKED]


class SweepJobs:
    """Hydra's config loader, with a faster ``load_sweep_config`` for the jobs of one sweep."""

    def __init__(self, loader, master_config):
        self._loader = loader
        self._master = master_config
        self._composer = Composer(compose=lambda overrides: loader.load_sweep_config(master_config, overrides),
                                  repository=loader.repository)

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def load_sweep_config(self, master_config, sweep_overrides):
        if master_config is not self._master:
            return self._loader.load_sweep_config(master_config, sweep_overrides)
        config = self._composer.config(list(sweep_overrides))
        # What Hydra records of the job's own overrides (the combination recorded only its own).
        task = [o for o in self._composer.parse(sweep_overrides) if not o.is_hydra_override()]
        naming = config.hydra.job.config.override_dirname
        with open_dict(config.hydra):
            config.hydra.overrides.task = [o.input_line for o in task]
            config.hydra.job.override_dirname = get_overrides_dirname(
                overrides=task, exclude_keys=naming.exclude_keys, item_sep=naming.item_sep, kv_sep=naming.kv_sep)
        OmegaConf.copy_cache(from_config=master_config, to_config=config)  # ${now:} as for every job
        return config
