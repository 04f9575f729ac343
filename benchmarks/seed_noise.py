"""Seed noise of test NDCG@10 per model on each data path: the band of tests/training/test_fast_path.py.

    python -m benchmarks.seed_noise --seeds 0 1 2 3 --out noise.jsonl

Each model that ``trainer.data_path=auto`` moves to the fast path is trained on ML-100K at
p = 0 on both paths with the quality test's settings (``overrides``), through ``fit_company`` as
a cell trains it, once per seed. One JSON line per run; the summary prints, per model, the mean
and standard deviation of test NDCG@10 on each path and the sd pooled over both paths.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EPOCHS = 5  # trainer=tiny, early stopping off: the quality test's settings
MODELS = ("bpr", "enmf", "lightgcn", "multidae", "multivae", "neumf", "ngcf", "recvae", "sgl")
# NGCF at its configured learning rate (0.001) barely leaves its initial level in 5 tiny epochs
# (NDCG@10 0.03 on both paths), too little for a comparison to catch a broken path; at 0.01 it
# reaches 0.105.
SETTINGS = {"ngcf": ["model.learning_rate=0.01"]}


def overrides(model: str, path: str, seed: int) -> list[str]:
    return [f"model={model}", "trainer=tiny", f"trainer.max_epochs={EPOCHS}", f"trainer.patience={EPOCHS}",
            f"seed={seed}", f"trainer.data_path={path}", *SETTINGS.get(model, [])]


def fit_and_test(cfg, data, split, work_dir) -> tuple[float, str]:
    """``fit_company`` on the fixed split at p = 0; (test NDCG@10, the path the fit reports)."""
    from strikebench.evaluation.evaluator import EvalContext, evaluate
    from strikebench.evaluation.validation import validation_metric
    from strikebench.training.fit import fit_company

    validate = validation_metric(data, split.train, split.valid, str(cfg.trainer.monitor), "cpu", 1024)
    fit = fit_company(cfg, data, split, split.train, split.valid, "cpu", Path(work_dir), validate)
    ctx = EvalContext.for_company(data, split.train, (data.user[split.test], data.item[split.test]), ks=[10],
                                  metrics=("ndcg",), history_rows=np.concatenate([split.train, split.valid]))
    return float(evaluate(fit.score_fn, ctx)["ndcg@10"].mean()), fit.data_path


def pooled_sd(by_path: dict[str, list[float]]) -> float:
    """The standard deviation within each path, pooled (each path's own mean removed)."""
    squares = sum(float(np.sum((np.array(v) - np.mean(v)) ** 2)) for v in by_path.values())
    dof = sum(len(v) - 1 for v in by_path.values())
    return float(np.sqrt(squares / dof))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="seed-noise.jsonl")
    args = parser.parse_args(argv)
    import torch
    from hydra import compose

    from strikebench.config.paths import config_context
    from strikebench.data.cache import get_split

    torch.set_num_threads(args.threads)
    sys.argv = sys.argv[:1]  # RecBole's Config reads sys.argv
    runs = []
    with open(args.out, "a") as out:
        for model in args.models:
            for seed in args.seeds:
                for path in ("recbole", "fast"):
                    with config_context():
                        cfg = compose("config", overrides=overrides(model, path, seed))
                    data, split = get_split(cfg.dataset, cfg.data_root, cfg.split)
                    started = time.perf_counter()
                    with tempfile.TemporaryDirectory() as work:
                        ndcg, trained_on = fit_and_test(cfg, data, split, work)
                    run = dict(model=model, seed=seed, path=trained_on, epochs=EPOCHS, ndcg=ndcg,
                               seconds=time.perf_counter() - started)
                    runs.append(run)
                    out.write(json.dumps(run) + "\n")
                    out.flush()
    for model in args.models:
        by_path = {p: [r["ndcg"] for r in runs if r["model"] == model and r["path"] == p] for p in ("recbole", "fast")}
        shown = ", ".join(f"{p} {np.mean(v):.4f} +- {np.std(v, ddof=1):.4f}" for p, v in by_path.items())
        print(f"{model:<9} {shown}, pooled sd {pooled_sd(by_path):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
