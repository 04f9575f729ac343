"""RecBole's own pipeline, stage by stage: Config, create_dataset, data_preparation, the Trainer's
training epoch and its full-ranking evaluation, as ``recbole.quick_start.run_recbole`` runs them."""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

from benchmarks.datasets import RECBOLE_SETTINGS
from benchmarks.measure import run_stage
from benchmarks.models import model_settings

METRICS = ["NDCG", "Recall", "Hit", "MRR", "Precision"]
RECBOLE_DEFAULT_EVAL_BATCH = 4096  # RecBole's eval_batch_size default: rows, i.e. 4096 // n_items users


@dataclass
class RecBoleRun:
    config: object
    dataset: object
    train_data: object
    valid_data: object
    test_data: object
    model: object = None
    initial_model: object = None


def settings_for(spec: dict, data_path: str, work_dir: str) -> dict:
    settings = dict(RECBOLE_SETTINGS)
    settings.update(model_settings(spec["model"]))
    settings.update(
        data_path=data_path, seed=int(spec["seed"]), reproducibility=True, device=spec["device"],
        use_gpu=spec["device"].startswith("cuda"), show_progress=False, train_batch_size=int(spec["batch_size"]),
        metrics=METRICS, topk=[10], metric_decimal_place=10, valid_metric="NDCG@10",
        checkpoint_dir=f"{work_dir}/saved", log_wandb=False, worker=0, epochs=int(spec["epochs"]),
    )
    if not spec["device"].startswith("cuda"):
        # RecBole 1.2.1's Config ignores `device`: it picks CUDA whenever one is visible unless gpu_id is "".
        settings["gpu_id"] = ""
    if spec.get("sequential"):  # RecBole's sequential quick-start split: time-ordered leave-one-out
        settings["eval_args"] = {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"}
    return settings


def prepare(spec: dict, data_path: str, work_dir: str, stages: dict) -> RecBoleRun:
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    from strikebench import compat

    config = run_stage(stages, "recbole.config", "cpu", compat.recbole_config, spec["model_class"], spec["dataset"],
                       settings_for(spec, data_path, work_dir))
    init_seed(config["seed"], config["reproducibility"])  # as run_recbole: RecBole's split shuffles with it
    dataset = run_stage(stages, "recbole.create_dataset", spec["device"], create_dataset, config)
    # Evaluate as many users per batch as strikebench does (RecBole counts rows: users x items).
    config["eval_batch_size"] = int(spec["eval_users_per_batch"]) * dataset.item_num
    train, valid, test = run_stage(stages, "recbole.data_preparation", spec["device"], data_preparation, config, dataset)
    return RecBoleRun(config, dataset, train, valid, test)


def build_model(run: RecBoleRun, spec: dict, stages: dict):
    from recbole.utils import get_model, init_seed

    def build():
        init_seed(int(spec["seed"]), True)
        return get_model(spec["model_class"])(run.config, run.train_data.dataset).to(spec["device"])

    run.model = run_stage(stages, "model_build", spec["device"], build)
    run.initial_model = copy.deepcopy(run.model)  # every training variant starts from these weights
    return run.model


class _FirstSteps:
    """The first ``steps`` batches of a loader, for models whose full epoch is too slow here."""

    def __init__(self, loader, steps):
        self.loader, self.steps, self.shuffle = loader, steps, loader.shuffle

    def __iter__(self):
        return itertools.islice(iter(self.loader), self.steps)


def train(run: RecBoleRun, spec: dict, stages: dict) -> list[float]:
    """RecBole's Trainer._train_epoch, ``epochs`` times; seconds per epoch (extrapolated from
    ``train_steps`` batches when set)."""
    from recbole.utils import get_trainer

    trainer = get_trainer(run.config["MODEL_TYPE"], spec["model_class"])(run.config, run.model)
    run.trainer = trainer
    steps = spec.get("train_steps")
    data = _FirstSteps(run.train_data, steps) if steps else run.train_data
    seconds = []
    for epoch in range(int(spec["epochs"])):
        run_stage(stages, f"recbole.epoch{epoch}", spec["device"], trainer._train_epoch, data, epoch)
        measured = stages[f"recbole.epoch{epoch}"]["seconds"]
        seconds.append(measured * len(run.train_data) / steps if steps else measured)
    return seconds


def evaluate(run: RecBoleRun, spec: dict, stages: dict) -> dict:
    """Trainer.evaluate on the full-ranking test loader: matched user batches, then RecBole's default."""
    from recbole.data.utils import get_dataloader

    out = {}
    repeats = int(spec.get("eval_repeats", 1))
    result = run_stage(stages, "recbole.evaluate", spec["device"], run.trainer.evaluate, run.test_data,
                       load_best_model=False, repeats=repeats)
    out["recbole.evaluate"] = {k: float(v) for k, v in result.items()}
    if spec.get("recbole_default_eval"):
        config = run.config
        matched = config["eval_batch_size"]
        config["eval_batch_size"] = RECBOLE_DEFAULT_EVAL_BATCH
        loader = get_dataloader(config, "test")(config, run.test_data._dataset, run.test_data._sampler, shuffle=False)
        config["eval_batch_size"] = matched
        result = run_stage(stages, "recbole.evaluate_default_batch", spec["device"], run.trainer.evaluate, loader,
                           load_best_model=False, repeats=repeats)
        out["recbole.evaluate_default_batch"] = {k: float(v) for k, v in result.items()}
    return out
