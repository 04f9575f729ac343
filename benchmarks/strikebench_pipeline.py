"""strikebench's side of the benchmark, on RecBole's split of the same data.

Training variants all start from the RecBole model's initial weights and train on the same
training rows with the same batch size:
- ``sb.fast_lightning``: the fast loader through strikebench's Lightning fit (the default path for
  the general models it covers: ``trainer.data_path=auto``);
- ``sb.fast_plain``: the fast loader, a plain PyTorch loop (no Lightning);
- ``sb.recbole_lightning``: RecBole's own loader through the Lightning fit (``data_path=recbole``);
- ``plain_torch`` (BPR only): a BPR written directly in torch, the floor of a GPU-resident loop.
"""
from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from omegaconf import OmegaConf

from benchmarks.measure import run_stage
from benchmarks.reference_loops import PlainBPR, plain_bpr_epoch, train_epoch
from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.training.fast import fast_train_loader, thin_interaction
from strikebench.training.fast.negatives import UniformNegativeSampler
from strikebench.training.lightning_fit import run_lightning
from strikebench.training.module import RecBoleModule
from strikebench.training.scoring import score_function
from strikebench.training.sequences import UserSequences

METRIC_NAMES = ("ndcg", "recall", "hit", "mrr", "precision")


def split_arrays(run) -> dict:
    """(user, item) arrays of RecBole's train / valid / test datasets."""
    out = {}
    for name, loader in (("train", run.train_data), ("valid", run.valid_data), ("test", run.test_data)):
        inter = loader._dataset.inter_feat
        out[name] = (inter[run.config["USER_ID_FIELD"]].numpy(), inter[run.config["ITEM_ID_FIELD"]].numpy())
    return out


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


class _EpochTimer(L.Callback):
    """Wall and CPU seconds of each training epoch, stored as stages ``<name>.epoch<i>``."""

    def __init__(self, device, stages: dict, name: str):
        self.device, self.stages, self.name, self.seconds = device, stages, name, []

    def on_train_epoch_start(self, trainer, module):
        _sync(self.device)
        self._start, self._cpu_start = time.perf_counter(), time.process_time()

    def on_train_epoch_end(self, trainer, module):
        _sync(self.device)
        self.seconds.append(time.perf_counter() - self._start)
        self.stages[f"{self.name}.epoch{len(self.seconds) - 1}"] = {
            "seconds": self.seconds[-1], "cpu_seconds": time.process_time() - self._cpu_start}


def fit_lightning(model, loader, spec: dict, stages: dict, name: str) -> list[float]:
    """strikebench's Lightning fit (``lightning_fit.run_lightning``: the Trainer and the epoch
    loop a cell uses), without validation: seconds per epoch."""
    timer = _EpochTimer(spec["device"], stages, name)
    module = RecBoleModule(model, None, None, float(spec["learning_rate"]), float(spec["weight_decay"]), True,
                           "valid/ndcg@10", [])
    trainer_cfg = OmegaConf.create({
        "max_epochs": int(spec["epochs"]), "accelerator": "gpu" if spec["device"].startswith("cuda") else "cpu",
        "devices": 1, "patience": 1, "eval_every": 1, "monitor": "ndcg@10", "progress_bar": False})
    with tempfile.TemporaryDirectory(prefix="sb-bench-fit-") as work:
        # As a stage, so that its epochs run beside the same memory sampler as the other variants'.
        run_stage(stages, f"{name}.fit", spec["device"], run_lightning, module, loader, trainer_cfg, Path(work),
                  validates=False, data_parallel=False, callbacks=[timer])
    return timer.seconds


def train_variants(run, spec: dict, arrays: dict, stages: dict) -> tuple[dict, dict]:
    """Epoch seconds and trained models of each training variant."""
    device, epochs = spec["device"], int(spec["epochs"])
    n_users, n_items = run.dataset.user_num, run.dataset.item_num
    users, items = arrays["train"]
    seconds, models = {}, {}

    loader = run_stage(stages, "sb.fast_loader_build", device, fast_train_loader, run.config, users, items,
                       n_users, n_items, batch_size=int(spec["batch_size"]), device=device, seed=int(spec["seed"]))
    stages["sb.fast_loader_build"]["batches"] = len(loader)
    stages["interaction_build_us"] = interaction_cost(loader)

    model = copy.deepcopy(run.initial_model)
    seconds["sb.fast_lightning"] = fit_lightning(model, loader, spec, stages, "sb.fast_lightning")
    models["sb.fast_lightning"] = model

    model = copy.deepcopy(run.initial_model)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(spec["learning_rate"]))
    seconds["sb.fast_plain"] = []
    for epoch in range(epochs):
        run_stage(stages, f"sb.fast_plain.epoch{epoch}", device, train_epoch, model, loader, optimizer)
        seconds["sb.fast_plain"].append(stages[f"sb.fast_plain.epoch{epoch}"]["seconds"])
    models["sb.fast_plain"] = model

    if spec.get("recbole_loader_lightning"):
        model = copy.deepcopy(run.initial_model)
        seconds["sb.recbole_lightning"] = fit_lightning(model, run.train_data, spec, stages, "sb.recbole_lightning")
        models["sb.recbole_lightning"] = model

    if spec["model"] == "bpr":
        seconds["plain_torch"] = plain_bpr(users, items, n_users, n_items, spec, stages)
    return seconds, models


def plain_bpr(users, items, n_users, n_items, spec, stages) -> list[float]:
    device = spec["device"]
    torch.manual_seed(int(spec["seed"]))
    model = PlainBPR(n_users, n_items, int(spec.get("embedding_size", 64))).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(spec["learning_rate"]))
    u = torch.as_tensor(users, dtype=torch.long, device=device)
    i = torch.as_tensor(items, dtype=torch.long, device=device)
    sampler = UniformNegativeSampler(u, i, n_users, n_items, device)
    generator = torch.Generator(device=device).manual_seed(int(spec["seed"]))
    batch = int(spec["batch_size"])  # one negative per positive: as many positives as RecBole's BPR batch
    out = []
    for epoch in range(int(spec["epochs"])):
        run_stage(stages, f"plain_torch.epoch{epoch}", device, plain_bpr_epoch, model, optimizer, u, i, sampler,
                  batch, generator)
        out.append(stages[f"plain_torch.epoch{epoch}"]["seconds"])
    return out


def interaction_cost(loader, repeats: int = 200) -> dict:
    """Microseconds to wrap one batch's tensors: RecBole's Interaction() vs the thin wrapper."""
    from recbole.data.interaction import Interaction

    fields = dict(next(iter(loader)).interaction)
    length = len(next(iter(fields.values())))
    timings = {}
    for name, build in (("Interaction", lambda: Interaction(dict(fields))),
                        ("thin_interaction", lambda: thin_interaction(dict(fields), length))):
        start = time.perf_counter()
        for _ in range(repeats):
            build()
        timings[name] = (time.perf_counter() - start) / repeats * 1e6
    return timings


def eval_context(run, spec: dict, arrays: dict) -> EvalContext:
    """The fixed test set, masking train + valid as RecBole's full-sort test loader does (sequential
    models: RecBole masks nothing, so neither does this)."""
    n_users, n_items = run.dataset.user_num, run.dataset.item_num
    (tu, ti), (vu, vi), (su, si) = arrays["train"], arrays["valid"], arrays["test"]
    history = (np.zeros(0, dtype=np.int64),) * 2 if spec.get("sequential") else (np.concatenate([tu, vu]),
                                                                                   np.concatenate([ti, vi]))
    return EvalContext.build(n_users, n_items, eval_pairs=(su, si), history_pairs=history, train_items=ti,
                             train_users=tu, ks=[10], metrics=METRIC_NAMES, device=spec["device"])


def test_sequences(run, device):
    """Each test user's item sequence, exactly as RecBole's test dataset holds it."""
    config = run.config
    inter = run.test_data._dataset.inter_feat
    seq_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
    users = inter[config["USER_ID_FIELD"]]
    seq = torch.zeros(run.dataset.user_num, inter[seq_field].shape[1], dtype=torch.long)
    length = torch.ones(run.dataset.user_num, dtype=torch.long)
    seq[users] = inter[seq_field]
    length[users] = inter[config["ITEM_LIST_LENGTH_FIELD"]]
    sequences = UserSequences.__new__(UserSequences)
    sequences.seq, sequences.length = seq.to(device), length.to(device)
    sequences.seq_field, sequences.len_field = seq_field, config["ITEM_LIST_LENGTH_FIELD"]
    return sequences


def score_fn(model, run, spec):
    sequences = test_sequences(run, spec["device"]) if spec.get("sequential") else None
    return score_function(model, run.config["USER_ID_FIELD"], run.config["ITEM_ID_FIELD"],
                          run.dataset.item_num, sequences)


def mean_metrics(per_user) -> dict:
    return {name: float(per_user[name].mean()) for name in per_user.columns if "@" in name}


@torch.no_grad()
def evaluate_models(run, spec: dict, arrays: dict, models: dict, stages: dict) -> dict:
    """The fast evaluator: timed on RecBole's trained model; metrics of every trained model."""
    ctx = run_stage(stages, "sb.eval_context", spec["device"], eval_context, run, spec, arrays)
    batch = int(spec["eval_users_per_batch"])
    run.model.eval()
    per_user = run_stage(stages, "sb.evaluate", spec["device"], evaluate, score_fn(run.model, run, spec), ctx, batch,
                         repeats=int(spec.get("eval_repeats", 1)))
    out = {"sb.evaluate(recbole model)": mean_metrics(per_user)}
    for name, model in models.items():
        model.eval()
        out[f"sb.evaluate({name} model)"] = mean_metrics(evaluate(score_fn(model, run, spec), ctx, batch))
    return out
