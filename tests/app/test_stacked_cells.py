"""Cells trained K at a time in the app (``trainer.stack=K``): grouping, one record per cell,
resume of a killed group with every record landing once, -m sweeps, Slurm array lines.

Tiny synthetic data (120 users, 80 items); the quality of stacked against alone cells on
ML-100K is tests/training/test_stacked.py's (slow).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from strikebench.app import stacked_cells
from strikebench.app.cell import run_cell
from strikebench.app.expansion import resolved_config
from strikebench.app.group_command import group_line, split_cells
from strikebench.app.stack_groups import groups_of
from strikebench.app.stacked_cells import run_group
from strikebench.errors import StrikebenchError
from strikebench.results import store
from strikebench.results.keys import cell_key
from strikebench.training.stacked import group as stacked_group

SMALL = ["dataset=synthetic", "dataset.synthetic.n_users=120", "dataset.synthetic.n_items=80",
         "dataset.synthetic.n_interactions=3000", "trainer=tiny"]
CELLS = [(0.0, 0), (0.3, 1), (0.5, 2)]  # (participation, seed)


class Killed(Exception):
    pass


@pytest.fixture
def cells_of(compose_cfg, tmp_path):
    def _cells(*overrides, results="results", cells=CELLS, model="bpr"):
        return [compose_cfg([f"model={model}", *SMALL, f"data_root={tmp_path / 'data'}", f"strike.participation={p}",
                             f"seed={s}", *overrides], results_dir=tmp_path / results) for p, s in cells]
    return _cells


def incumbent(outcome) -> dict:
    return outcome.record["companies"]["incumbent"]


def ndcg(outcome) -> float:
    return incumbent(outcome)["metrics"]["holdout"]["all"]["ndcg@10"]


def test_cells_group_by_model_data_and_trainer_at_most_stack_each():
    def config(model, seed, stack, participation=0.0, data_path="fast", epochs=2):
        return {"model": {"name": model}, "seed": seed, "strike": {"participation": participation},
                "trainer": {"stack": stack, "data_path": data_path, "max_epochs": epochs}}

    bpr = [config("BPR", s, 2, p) for s, p in [(0, 0.0), (1, 0.3), (2, 0.5)]]
    other_trainer = config("BPR", 3, 2, epochs=5)  # another trainer: never with the others
    neumf = config("NeuMF", 0, 2)
    pop = [config("Pop", 0, 4), config("Pop", 1, 4)]  # does not stack: each alone
    recbole_path = [config("BPR", 5, 2, data_path="recbole"), config("BPR", 6, 2, data_path="recbole")]
    plain = [config("BPR", 7, 1), config("BPR", 8, 1)]  # trainer.stack=1: today's behaviour
    items = [*bpr, neumf, other_trainer, *pop, *recbole_path, *plain]
    groups = groups_of(items, lambda c: c)
    assert groups == [bpr[:2], [bpr[2]], [neumf], [other_trainer], [pop[0]], [pop[1]],
                      [recbole_path[0]], [recbole_path[1]], [plain[0]], [plain[1]]]


def test_a_stacked_group_stores_one_record_per_cell_as_alone(cells_of):
    cfgs = cells_of("trainer.stack=3")
    outcomes = run_group(cfgs, log=lambda m: None)
    alone = [run_cell(cfg, log=lambda m: None) for cfg in cells_of(results="alone")]
    for cfg, outcome, single in zip(cfgs, outcomes, alone):
        assert outcome.ran and outcome.key == cell_key(resolved_config(cfg)) == single.key  # stack is not in the key
        assert store.load_cell(outcome.path) == outcome.record
        training = incumbent(outcome)["training"]
        assert training["stacked_with"] == 3 and training["data_path"] == "fast"
        assert "stacked_with" not in incumbent(single)["training"]
        # BPR's loss draws nothing: the stacked cell trains as alone, up to float rounding
        assert (training["epochs"], training["best_epoch"]) == (incumbent(single)["training"]["epochs"],
                                                                incumbent(single)["training"]["best_epoch"])
        assert ndcg(outcome) == pytest.approx(ndcg(single), abs=1e-5)
    assert len(list(store.iter_records(cfgs[0].results_dir))) == 3
    assert not list(Path(cfgs[0].work_dir).glob(f"{stacked_cells.GROUP_DIR}*"))  # cleared
    again = run_group(cells_of("trainer.stack=3"), log=lambda m: None)  # resume=true: reused, not trained
    assert [o.ran for o in again] == [False] * 3 and [o.record for o in again] == [o.record for o in outcomes]


def test_a_killed_group_resumes_and_its_records_land_once(cells_of, monkeypatch):
    cfgs = cells_of("trainer.stack=3", "trainer.max_epochs=3", "trainer.patience=5")
    reference = run_group(cells_of("trainer.stack=3", "trainer.max_epochs=3", "trainer.patience=5",
                                   results="reference"), log=lambda m: None)
    save = stacked_group.checkpoint.save

    def killed_after_epoch_two(work_dir, state):
        save(work_dir, state)
        if int(state["epoch"]) == 2:  # epochs 0 and 1 done and saved
            raise Killed

    monkeypatch.setattr(stacked_group.checkpoint, "save", killed_after_epoch_two)
    with pytest.raises(Killed):
        run_group(cfgs, log=lambda m: None)
    assert list(store.iter_records(cfgs[0].results_dir)) == []  # nothing half-written
    monkeypatch.undo()
    resumed = run_group(cells_of("trainer.stack=3", "trainer.max_epochs=3", "trainer.patience=5"),
                        log=lambda m: None)
    for outcome, ref in zip(resumed, reference):
        assert incumbent(outcome)["training"]["resumed_from_epoch"] == 1
        assert incumbent(outcome)["training"]["epochs"] == 3
        assert ndcg(outcome) == pytest.approx(ndcg(ref), abs=1e-6)  # the same models as uninterrupted
    records = list(store.iter_records(cfgs[0].results_dir))
    assert sorted(r["cell_key"] for r in records) == sorted(o.key for o in resumed)  # each exactly once


def test_a_group_killed_while_writing_records_writes_the_rest_once(cells_of, monkeypatch):
    write = stacked_cells.write_record
    written = []

    def killed_after_one_record(*args, **kwargs):
        if written:
            raise Killed
        written.append(write(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(stacked_cells, "write_record", killed_after_one_record)
    with pytest.raises(Killed):
        run_group(cells_of("trainer.stack=3"), log=lambda m: None)
    monkeypatch.undo()
    outcomes = run_group(cells_of("trainer.stack=3"), log=lambda m: None)
    assert [o.ran for o in outcomes] == [False, True, True]  # the first was stored and is reused
    assert outcomes[0].record == written[0].record
    assert incumbent(outcomes[1])["training"]["stacked_with"] == 2  # the two left trained together
    assert len(list(store.iter_records(outcomes[0].path.parent.parent))) == 3


def test_models_that_do_not_stack_run_one_cell_at_a_time(cells_of, monkeypatch):
    monkeypatch.setattr(stacked_cells, "fit_stacked", None)  # would fail if called
    outcomes = run_group(cells_of("trainer.stack=3", model="pop"), log=lambda m: None)
    assert [o.ran for o in outcomes] == [True] * 3
    assert all("stacked_with" not in incumbent(o)["training"] for o in outcomes)


def test_a_cell_held_by_another_job_is_skipped_and_the_rest_train(cells_of):
    from strikebench.app.cell_lock import CellLock

    cfgs = cells_of("trainer.stack=3")
    key = cell_key(resolved_config(cfgs[1]))
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time, pathlib; "
                               "p = pathlib.Path(sys.argv[1]); p.parent.mkdir(parents=True, exist_ok=True); "
                               "f = open(p, 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); "
                               "time.sleep(120)", str(CellLock(cfgs[1].work_dir + "/" + key).path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        outcomes = run_group(cfgs, log=lambda m: None)
    finally:
        holder.kill()
        holder.wait()
    assert outcomes[1].running_elsewhere and outcomes[1].record is None
    assert [o.ran for o in outcomes] == [True, False, True]
    assert incumbent(outcomes[0])["training"]["stacked_with"] == 2
    assert not store.is_done(cfgs[0].results_dir, key)


def test_group_lines_split_back_into_their_cells():
    cells = [["model=bpr", "seed=0"], ["model=bpr", "seed=1"]]
    line = group_line(cells)
    assert line == "group model=bpr seed=0 -- model=bpr seed=1"
    assert split_cells(line.split()[1:]) == cells
    assert group_line(cells[:1]) == "model=bpr seed=0"  # a cell alone keeps today's line
    with pytest.raises(StrikebenchError, match="empty cell"):
        split_cells(["model=bpr", "--", "--", "seed=1"])


def strikebench(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "strikebench", *args], capture_output=True, text=True, cwd=cwd,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def stacked_records(results) -> dict[float, int]:
    return {r["config"]["strike"]["participation"]: r["companies"]["incumbent"]["training"].get("stacked_with")
            for r in store.iter_records(results)}


@pytest.mark.slow  # strikebench subprocesses: a sweep and an array line
def test_a_sweep_and_a_slurm_array_line_train_their_cells_stacked(tmp_path):
    sweep = ["model=bpr", *SMALL, f"data_root={tmp_path / 'data'}", "strike.participation=0,0.3,0.5"]
    strikebench("-m", *sweep, "trainer.stack=2", f"results_dir={tmp_path / 'swept'}", cwd=tmp_path)
    assert stacked_records(tmp_path / "swept") == {0.0: 2, 0.3: 2, 0.5: None}  # a group of 2, one alone

    cells = tmp_path / "cells.txt"
    strikebench("plan", "-m", *sweep, "trainer.stack=2", f"results_dir={tmp_path / 'array'}", "--write-cells",
                str(cells), cwd=tmp_path)
    lines = cells.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("group ") and lines[0].count(" -- ") == 1
    assert not lines[1].startswith("group ")
    strikebench(*lines[0].split(), cwd=tmp_path)  # what array task 0 runs (slurm/array.sbatch)
    assert stacked_records(tmp_path / "array") == {0.0: 2, 0.3: 2}


@pytest.mark.parametrize("value", ["0", "-2", "1.5"])
def test_a_bad_stack_stops_the_cell_before_training(compose_cfg, value):
    from strikebench.app.validate import validate
    from strikebench.errors import ConfigError

    with pytest.raises(ConfigError, match="trainer.stack"):
        validate(compose_cfg(["model=bpr", f"trainer.stack={value}"]))


def test_cells_of_a_group_that_draw_the_same_participants_train_once(cells_of):
    # 120 users: p = 0.001 and 0.004 both draw round(p * 120) = 0 participants
    outcomes = run_group(cells_of("trainer.stack=3", cells=[(0.001, 0), (0.004, 0), (0.3, 1)]), log=lambda m: None)
    assert [incumbent(o)["training"]["stacked_with"] for o in outcomes] == [2, 2, 2]  # two cells trained
    assert [o.record.get("same_draw_as") for o in outcomes] == [None, outcomes[0].key, None]
    assert ndcg(outcomes[1]) == ndcg(outcomes[0]) and outcomes[1].key != outcomes[0].key


class Tracker:
    """Records what a cell's tracker is told (as strikebench.tracking.NoTracking is)."""

    def __init__(self, seen):
        self.seen = seen

    def start(self, header):
        self.seen.append(("start", header.cell_key))

    def lightning_loggers(self, company):
        return []

    def record_entry(self):
        return {"tracker": "test"}

    def finish(self, record, cell_path):
        self.seen.append(("finish", record.cell_key))

    def abort(self):
        self.seen.append(("abort", None))


def test_each_stacked_cell_has_its_own_tracker_run(cells_of):
    seen = []
    outcomes = run_group(cells_of("trainer.stack=3"), log=lambda m: None, tracking_for=lambda cfg: Tracker(seen))
    assert seen == [(step, o.key) for o in outcomes for step in ("start", "finish")]
    assert all(o.record["tracking"] == {"tracker": "test"} for o in outcomes)  # in each record


def test_a_failed_group_fails_each_job_of_its_cells_once(cells_of, monkeypatch):
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    from strikebench.app import stacked_sweep

    cfgs = cells_of("trainer.stack=2", cells=[(0.0, 0), (0.3, 1)])
    jobs = {("job", str(i)): cfg for i, cfg in enumerate(cfgs)}
    loader = SimpleNamespace(load_sweep_config=lambda master, overrides: jobs[tuple(overrides)])
    master = OmegaConf.create({"trainer": {"stack": 1}, "hydra": {"sweep": {"dir": "sweeps/s1"}}})

    def failing_group(group, log, tracking_for):
        raise StrikebenchError("out of memory, say")

    monkeypatch.setattr(stacked_cells, "run_group", failing_group)
    stacked_sweep.train_batch(master, [list(job) for job in jobs], loader)
    assert not stacked_sweep._OUTCOMES  # trainer.stack=1 in the master and no job asks for it: nothing ran
    stacked_sweep.train_batch(master, [[*job, "trainer.stack=2"] for job in jobs],
                              SimpleNamespace(load_sweep_config=lambda master, overrides: jobs[tuple(overrides[:2])]))
    for cfg in cfgs:
        key = cell_key(resolved_config(cfg))
        with pytest.raises(StrikebenchError, match="out of memory"):  # the job records it as its failure
            stacked_sweep.outcome_of(key)
        assert stacked_sweep.outcome_of(key) is None  # once
