"""Train the cells of a stacked group together: one process, one device, one step for all.

Every epoch, each cell that still trains goes once through its own training rows in its own
batches (batches.py); a group step runs RecBole's loss for all cells with a full batch at once
(loss.py) and updates only them (adam.py). After the epoch, each cell is validated on its own
data and keeps its own best weights; a cell that stops leaves the stack and never moves again.
The group's state is saved after every epoch (checkpoint.py), so a killed group resumes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.func import stack_module_state

from strikebench.training.stacked import checkpoint
from strikebench.training.stacked.adam import StackedAdam
from strikebench.training.stacked.batches import EpochBatches, stack_order
from strikebench.training.stacked.loss import StackedLoss, gradients
from strikebench.training.stacked.members import StackMember, build_cell, check_members, load_weights
from strikebench.training.stacked.models import before_step, counts_steps, stack_cell_tensors, stacking_template, unsupported_reason
from strikebench.training.stacked.parts import FitResult, recbole_config, score_function
from strikebench.training.stacked.progress import CellProgress, from_tensor, to_tensor

DATA_PATH = "fast"  # a stacked cell's batches: the fast path's (same distribution as RecBole's loader)
# On a CPU, a step of more cells than this runs in pieces of this many: larger temporaries
# (BPR on ML-100K: 64 cells x 2048 rows x 64 floats, 32 MB) are mapped fresh from the kernel on
# every allocation and cost more per cell (docs/stacked.md). A GPU's caching allocator has no
# such cost: one piece.
CPU_CHUNK = 16


@dataclass
class GroupResult:
    results: list[FitResult]  # one per cell, in the order of the members
    epochs: int  # epochs the group ran (its longest-training cell)
    seconds: float  # wall time of the whole group; each FitResult.seconds is its share
    resumed_from_epoch: int | None  # the last epoch (0-based) of the state it resumed from
    data_path: str = DATA_PATH


def fit_stacked(cfg, members: list[StackMember], device: str, work_dir: Path, log=None) -> GroupResult:
    """Train ``members`` (cells sharing ``cfg.model``, ``cfg.trainer`` and the dataset) together.

    Each member gets the model it would get trained alone with its seed, within seed noise,
    with its best weights loaded and in eval mode; ``score_fn`` scores the test users.
    The state in ``work_dir`` is kept: a rerun of the same group returns the trained models
    without training; :func:`checkpoint.clear` removes it once every record has landed.
    """
    started = time.perf_counter()
    check_members(members)
    config = recbole_config(cfg, members[0].data.name, device)
    reason = unsupported_reason(cfg.model.name, config)
    if reason:
        raise ValueError(f"cannot train stacked: {reason}")
    built = [build_cell(config, cfg.model.name, member) for member in members]
    models, loaders = [m for m, _ in built], [loader for _, loader in built]
    run = _GroupRun(cfg, members, models, loaders, Path(work_dir), log or (lambda message: None))
    resumed_from = run.resume()
    run.train()
    seconds = time.perf_counter() - started
    results = []
    for i, (model, score_fn, p) in enumerate(zip(models, run.score_fns, run.progress)):
        load_weights(model, run.best, i)
        model.eval()
        results.append(FitResult(model, score_fn, p.epochs, p.best_epoch, p.best_valid, seconds / len(members),
                                 resumed_from, data_path=DATA_PATH))
    return GroupResult(results, max(p.epochs for p in run.progress), seconds, resumed_from)


class _GroupRun:
    """The training loop's state: the stack (rows = cells still training) and each cell's progress."""

    def __init__(self, cfg, members, models, loaders, work_dir: Path, log):
        self.members, self.models, self.loaders, self.work_dir, self.log = members, models, loaders, work_dir, log
        self.max_epochs = int(cfg.trainer.max_epochs)
        self.patience = int(cfg.trainer.patience)
        self.eval_every = int(cfg.trainer.eval_every)
        self.rows = stack_order(loaders)  # member index of each row of the stack
        params, _ = stack_module_state([models[i] for i in self.rows])
        self.adam = StackedAdam(params, float(cfg.model.learning_rate), float(cfg.model.get("weight_decay") or 0.0))
        self.tensors = stack_cell_tensors([models[i] for i in self.rows])
        # Best weights of every cell, in member order (the initial ones until a validation).
        self.best = {name: torch.stack([dict(m.named_parameters())[name].detach() for m in models])
                     for name in self.adam.params}
        self.progress = [CellProgress() for _ in members]
        self.epoch = 0
        self.template = stacking_template(models[0]).train()
        self.loss = StackedLoss(self.template)
        self.counts_steps = counts_steps(self.template)
        self.chunk = CPU_CHUNK if self.adam.steps.device.type == "cpu" else None
        self.score_fns = [score_function(m, member.data.recbole_dataset.uid_field,
                                         member.data.recbole_dataset.iid_field, member.data.n_items)
                          for m, member in zip(models, members)]

    def train(self) -> None:
        while self.rows and self.epoch < self.max_epochs:
            self._train_epoch()
            self._end_epoch()
            self.epoch += 1
            checkpoint.save(self.work_dir, self.state())

    def _train_epoch(self) -> None:
        batches = EpochBatches([self.loaders[i] for i in self.rows])
        for tick in range(batches.ticks):
            for group in batches.at(tick):
                for rows, fields in _chunks(group.rows, group.fields, self.chunk):
                    if self.counts_steps:  # one host sync a step, for MultiVAE's annealing only
                        before_step(self.template, int(self.adam.steps[rows.start]))
                    params = {name: p[rows] for name, p in self.adam.params.items()}
                    tensors = {name: t[rows] for name, t in self.tensors.items()}
                    _, grads = gradients(self.loss, params, tensors, fields)
                    self.adam.step(rows, grads)

    def _end_epoch(self) -> None:
        validating = (self.epoch + 1) % self.eval_every == 0
        for row, i in enumerate(self.rows):
            progress, member = self.progress[i], self.members[i]
            progress.epochs = self.epoch + 1
            if validating and member.validates:
                load_weights(self.models[i], self.adam.params, row)
                self.models[i].eval()
                with torch.no_grad():
                    value = float(member.validate(self.score_fns[i]))
                if progress.validated(self.epoch, value, self.patience):
                    self._keep_best(i, row)
            if progress.epochs >= self.max_epochs:
                progress.stopped = True
            if progress.stopped:
                if progress.best_epoch is None:  # never validated: the last weights are the result
                    self._keep_best(i, row)
                self.log(f"{member.key}: stopped after epoch {self.epoch} (best epoch {progress.best_epoch})")
        keep = [row for row, i in enumerate(self.rows) if not self.progress[i].stopped]
        if len(keep) < len(self.rows):
            index = torch.as_tensor(keep, dtype=torch.long, device=self.adam.steps.device)
            self.adam.keep(index)
            self.tensors = {name: t[index] for name, t in self.tensors.items()}
            self.rows = [self.rows[row] for row in keep]

    def _keep_best(self, i: int, row: int) -> None:
        for name, table in self.best.items():
            table[i] = self.adam.params[name][row]

    def state(self) -> dict[str, torch.Tensor]:
        state = {f"stack.{name}": value for name, value in self.adam.state().items()}
        state.update({f"best.{name}": value for name, value in self.best.items()})
        state.update(fingerprint=checkpoint.fingerprint(self.members), epoch=torch.tensor(self.epoch),
                     rows=torch.tensor(self.rows, dtype=torch.long), progress=to_tensor(self.progress),
                     generators=torch.stack([loader.generator.get_state() for loader in self.loaders]),
                     rng=torch.get_rng_state())
        if torch.cuda.is_available() and self.adam.steps.is_cuda:
            state["cuda_rng"] = torch.cuda.get_rng_state()
        return state

    def resume(self) -> int | None:
        """Continue from the saved state, if any: the last completed epoch (0-based), or None."""
        state = checkpoint.load(self.work_dir, self.members)
        if state is None:
            return None
        device = self.adam.steps.device
        self.epoch = int(state["epoch"])
        self.rows = state["rows"].tolist()
        self.progress = from_tensor(state["progress"])
        self.adam.load({name[len("stack."):]: v for name, v in state.items() if name.startswith("stack.")})
        self.tensors = stack_cell_tensors([self.models[i] for i in self.rows]) if self.rows else {
            name: t[:0] for name, t in self.tensors.items()}
        self.best = {name: state[f"best.{name}"].to(device) for name in self.best}
        for loader, generator_state in zip(self.loaders, state["generators"]):
            loader.generator.set_state(generator_state.clone())  # a row view at an offset crashes torch 2.13
        torch.set_rng_state(state["rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state(state["cuda_rng"])
        self.log(f"stacked group resumed after epoch {self.epoch - 1}")
        return self.epoch - 1


def _chunks(rows: slice, fields: dict, size: int | None):
    """(rows, fields) of a group step in pieces of at most ``size`` cells (None: one piece)."""
    count = rows.stop - rows.start
    size = size or count
    for offset in range(0, count, size):
        stop = min(offset + size, count)
        yield (slice(rows.start + offset, rows.start + stop),
               {name: value[offset:stop] for name, value in fields.items()})
