"""Lightning DDP (``trainer=ddp``) on CPU with 2 processes matches single-device training.

The run goes through the command line, as a user's would: Lightning starts the second process
by rerunning the command. Both processes train; only rank 0 evaluates and writes the record.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from strikebench.app.cell import run_cell
from strikebench.results import store

# Tolerance on NDCG@10 (ML-100K, BPR, p = 0, trained to early stopping): DDP trains each process on
# every other batch, so the global batch doubles and the path differs; the result should still
# land within the seed-to-seed spread of single-device training (sd 0.0027 over 5 seeds), with
# room: 0.02 absolute. Measured here (seed 0): 0.2613 on one device, 0.2598 with two processes.
TOLERANCE = 0.02


def strikebench(*overrides, cwd):
    return subprocess.run([sys.executable, "-m", "strikebench", *overrides], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_device(compose_cfg, tmp_path):
    single = run_cell(compose_cfg(["model=bpr", "strike.participation=0"], results_dir=tmp_path / "one"))
    run = strikebench("model=bpr", "strike.participation=0", "trainer=ddp", f"results_dir={tmp_path / 'ddp'}",
                      cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("[done]") == 1  # the second process neither evaluates nor reports
    (record,) = list(store.iter_records(tmp_path / "ddp"))
    assert record["config"]["trainer"]["strategy"] == "ddp" and record["config"]["trainer"]["devices"] == 2
    one = single.record["companies"]["incumbent"]
    two = record["companies"]["incumbent"]
    assert one["training"]["world_size"] == 1 and two["training"]["world_size"] == 2
    assert two["training"]["epochs"] > 0 and two["training"]["best_valid"] is not None
    for metric in ("ndcg@10", "recall@10"):
        a = one["metrics"]["holdout"]["all"][metric]
        b = two["metrics"]["holdout"]["all"][metric]
        assert abs(a - b) <= TOLERANCE, (metric, a, b)
    assert not list((tmp_path / "ddp").glob(".work/*"))  # rank 0 cleaned up the checkpoints


@pytest.mark.slow
@pytest.mark.heavy
def test_ddp_trains_every_company_of_a_cell_and_builds_pop_on_one_device(tmp_path):
    # Transfer trains two companies, so each process calls fit twice on one process group.
    run = strikebench("model=bpr", "strike/lever=transfer", "strike.participation=0.3", "trainer=ddp",
                      "trainer.max_epochs=2", f"results_dir={tmp_path / 'results'}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    run = strikebench("model=pop", "strike.participation=0.3", "trainer=ddp", f"results_dir={tmp_path / 'results'}",
                      cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    sizes = {r["config"]["model"]["name"]: {name: company["training"]["world_size"]
                                            for name, company in r["companies"].items()}
             for r in store.iter_records(tmp_path / "results")}
    assert sizes == {"BPR": {"incumbent": 2, "competitor": 2}, "Pop": {"incumbent": 1}}

