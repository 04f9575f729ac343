"""Lightning DDP on CPU with 2 worker processes matches single-device training within a tolerance."""
from __future__ import annotations

import pytest

from strikebench.cell import run_cell

# Tolerance on NDCG@10 (ML-100K, BPR, p = 0, trained to early stopping): DDP trains each worker on
# every other batch, so the global batch doubles and the path differs; the result should still
# land within the seed-to-seed spread of single-device training (sd 0.0027 over 5 seeds), with
# room: 0.02 absolute. Measured here (seed 0): 0.2613 on one device, 0.2598 with two workers.
TOLERANCE = 0.02


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_device(compose_cfg, tmp_path):
    single = run_cell(compose_cfg(["model=bpr", "strike.participation=0"], results_dir=tmp_path / "one"))
    ddp = run_cell(compose_cfg(["model=bpr", "strike.participation=0", "trainer=ddp"], results_dir=tmp_path / "ddp"))
    assert ddp.record["config"]["trainer"]["strategy"] == "ddp_fork"
    assert ddp.record["config"]["trainer"]["devices"] == 2
    one = single.record["companies"]["incumbent"]
    two = ddp.record["companies"]["incumbent"]
    assert two["training"]["epochs"] > 0 and two["training"]["best_valid"] is not None
    for metric in ("ndcg@10", "recall@10"):
        a = one["metrics"]["holdout"]["all"][metric]
        b = two["metrics"]["holdout"]["all"][metric]
        assert abs(a - b) <= TOLERANCE, (metric, a, b)
