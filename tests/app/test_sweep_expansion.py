"""The fast expansion of a sweep gives every cell the config and key Hydra's compose gives it."""
from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from strikebench.app.expansion import Composer, resolved_config
from strikebench.app.sweep import compose_cell, expand
from strikebench.errors import ConfigError
from strikebench.results.keys import cell_key

# Group overrides (also one that changes a model's defaults list: trainer=tiny reads
# model/per_trainer/tiny/neumf), interpolations read by other keys (results_dir -> work_dir), values
# that are interpolations, additions, deletions, lists, dicts, repeated keys, Hydra's own node.
HAND_MADE = [
    ["model=bpr", "trainer=tiny", "seed=3", "strike.participation=0.2"],
    ["model=neumf", "trainer=tiny", "strike.participation=0.1"],
    ["trainer.max_epochs=3", "model.learning_rate=0.01", "model=bpr"],
    ["strike/lever=poison", "strike.participation=0.1", "seed=1"],
    ["results_dir=/tmp/somewhere", "seed=2"],
    ["work_dir=${results_dir}/w", "seed=2", "data_root=/data"],
    ["+note=${seed}", "seed=5"],
    ["seed=1", "seed=2"],
    ["~eval.rating_metrics", "seed=4"],
    ["eval.ks=[5,10]", "trainer.monitor=ndcg@5", "strike.participation=0.5"],
    ["model.params={embedding_size: 32}", "model=bpr"],
    ["hydra/launcher=slurm", "model=pop", "strike.participation=0.3"],
    ["hydra.job.chdir=true", "model=pop", "seed=7"],
    ["split=sequential", "model=sasrec", "strike.participation=0.01"],
    ["experiment=data_strikes_random", "model=ease", "strike.participation=0.9", "seed=4"],
]


def sampled_sweep_cells():
    cells = expand(["experiment=data_strikes_random", "results_dir=/tmp/study", "trainer=tiny"])
    assert len(cells) == 4 * 17 * 5
    return cells[::23]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["hand_made", "sweep"])
def test_fast_expansion_gives_hydras_configs_and_keys(source):
    cells = HAND_MADE if source == "hand_made" else sampled_sweep_cells()
    composer = Composer()
    hydras = [compose_cell(cell) for cell in cells]
    fast = [composer.resolved(cell) for cell in cells]
    slow = [resolved_config(cfg) for cfg in hydras]
    assert fast == slow
    assert [cell_key(c) for c in fast] == [cell_key(c) for c in slow]
    if source == "sweep":
        assert len({cell_key(c) for c in slow}) == len(cells)  # every sampled cell is another cell
    for cell, cfg in zip(cells, hydras):
        expected = OmegaConf.to_container(cfg, resolve=False)
        assert OmegaConf.to_container(composer.config(cell), resolve=False) == expected
        assert OmegaConf.to_container(composer.config(cell, shared=True), resolve=False) == expected


def test_cells_that_set_different_keys_do_not_share_a_config():
    composer = Composer()
    composer.config(["seed=9", "strike.participation=0.4"], shared=True)
    assert composer.config(["strike.participation=0.2"], shared=True).seed == 0
    assert composer.config(["seed=3"], shared=True).strike.participation == 0.0


def test_unchanged_parts_are_shared_and_the_combination_is_not_changed():
    composer = Composer()
    one, two = composer.resolved(["seed=1"]), composer.resolved(["seed=2"])
    assert (one["seed"], two["seed"]) == (1, 2)
    assert one["model"] is two["model"]
    assert composer.resolved([])["seed"] == 0


@pytest.mark.parametrize("cell, needle", [(["nosuchkey=1"], "Could not override 'nosuchkey'"),
                                          (["model=nosuchmodel"], "nosuchmodel"),
                                          (["seed=1", "strike.nosuch=2"], "strike.nosuch")])
def test_bad_overrides_fail_as_in_hydra(cell, needle):
    composer = Composer()
    with pytest.raises(ConfigError, match=needle):
        compose_cell(cell)
    with pytest.raises(ConfigError, match=needle):
        composer.resolved(cell)


@pytest.mark.slow
def test_sweep_jobs_get_the_configs_hydras_launcher_composes():
    """The jobs Hydra's basic launcher runs in this process (strikebench.app.jobs.SweepJobs)."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from strikebench.app.jobs import SweepJobs
    from strikebench.config.paths import config_context

    sweep = ["model=pop,bpr", "seed=0,1", "results_dir=/tmp/study"]
    cells = [*expand(sweep), *HAND_MADE]
    with config_context():
        loader = GlobalHydra.instance().hydra.config_loader
        master = loader.load_configuration("config", sweep, run_mode=RunMode.MULTIRUN)
        str(master.hydra.sweep.dir)  # resolved before launching, as Hydra's sweeper does: ${now:} fixed
        jobs = SweepJobs(loader, master)
        for cell in cells:
            fast, hydra = jobs.load_sweep_config(master, cell), loader.load_sweep_config(master, cell)
            assert OmegaConf.to_container(fast, resolve=False) == OmegaConf.to_container(hydra, resolve=False)
            assert fast.hydra.sweep.dir == hydra.hydra.sweep.dir  # one sweep folder: ${now:} as Hydra's
            task = OmegaConf.to_container(fast.hydra.overrides.task, resolve=False)
            assert task == [o for o in cell if not o.startswith("hydra")]


def test_hydras_check_skips_only_the_cells_strikebench_checked():
    from strikebench.app.jobs import mark_checked, unchecked

    mark_checked([["model=pop", "seed=0"], ["model=pop", "seed=1"]])
    assert unchecked([["model=pop", "seed=1"], ["model=bpr", "seed=0"]]) == [["model=bpr", "seed=0"]]
    mark_checked([])
    assert unchecked([["model=pop", "seed=1"]]) == [["model=pop", "seed=1"]]
