"""Cells trained K at a time (``trainer.stack=K``, docs/stacked.md): group the cells of a sweep,
train each group's companies together, and store one record per cell.

    for cfgs in groups_of(cell_configs): outcomes = run_group(cfgs, log, tracking_for)   # app/stack_groups.py

What a cell owns stays as for one cell (app/cell.py): its key, lock, record (written atomically,
never over a stored one), reuse with ``resume``, evaluation and tracker. Only the training is
shared (strikebench.training.stacked). A group whose model does not stack runs its cells one at
a time with :func:`run_cell`. Cells that draw the same participants as a stored cell, or as
another cell of the group, store a copy of its record (app/same_draw.py), as alone.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from strikebench.app import same_draw
from strikebench.app.cell import (CellOutcome, evaluate_company, held_elsewhere, holdout_of, preflight, run_cell,
                                  store_record, stored_outcome, training_summary, write_record)
from strikebench.app.cell_lock import CellLock, lock_mode, take_lock
from strikebench.app.expansion import resolved_config
from strikebench.evaluation.validation import validation_metric
from strikebench.results.assemble import record_header, trained_company
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord, CompanyResult
from strikebench.tracking import NoTracking
from strikebench.training.company_data import company_data
from strikebench.training.stacked import StackMember, clear_checkpoint, fit_stacked
from strikebench.training.stacked.config import stack_of

GROUP_DIR = "stack-"  # <work_dir>/stack-<digest of the trained cells' keys>: the group's checkpoint


def run_group(cfgs: list, log=print, tracking_for=None) -> list[CellOutcome]:
    """Run the cells ``cfgs`` (one group of ``stack_groups.groups_of``): one outcome per cell, in order.

    Stored records are reused (``resume``), cells another job holds are skipped (``lock``), and
    the rest train together; a group killed while training resumes from its checkpoint when the
    same cells run again. ``tracking_for(cfg)``: a cell's tracker (default none)."""
    tracking_for = tracking_for or (lambda cfg: NoTracking())
    configs = [resolved_config(cfg) for cfg in cfgs]
    if len(cfgs) == 1 or stack_of(configs[0]) == 1:
        return [run_cell(cfg, log, tracking_for(cfg)) for cfg in cfgs]
    keys = [cell_key(config) for config in configs]
    outcomes = [stored_outcome(cfg, key, log) for cfg, key in zip(cfgs, keys)]
    with ExitStack() as held:  # every lock is let go however this ends
        todo = []
        for i, (cfg, key) in enumerate(zip(cfgs, keys)):
            if outcomes[i] is not None:
                continue
            lock = CellLock(Path(cfg.work_dir) / key)
            if not take_lock(lock, lock_mode(cfg), key, log):
                outcomes[i] = held_elsewhere(cfg, key, lock, log)
                continue
            held.enter_context(lock)
            outcomes[i] = stored_outcome(cfg, key, log)  # stored by another job meanwhile
            if outcomes[i] is None:
                todo.append(_Cell(i, cfg, key, configs[i]))
        for cell, outcome in zip(todo, _train_together(todo, log, tracking_for)):
            outcomes[cell.index] = outcome
    return outcomes


@dataclass(eq=False)
class _Cell:
    """One cell of a group while it trains: its data, strike and companies as in app/cell.py."""

    index: int  # in the group
    cfg: object
    key: str
    config: dict
    timings: dict = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    companies: dict = field(default_factory=dict)  # name -> CompanyResult, for those that hold no data
    members: list = field(default_factory=list)  # (company name, its view, its data, StackMember)

    def prepare(self) -> None:
        self.data, self.split, self.state, self.device = preflight(self.cfg, self.timings)
        self.holdout = holdout_of(self.cfg, self.data, self.split, self.state)
        self.draw = same_draw.draw_key(self.config, self.state)
        for name, view in self.state.companies.items():
            if not view.holds_data:
                self.companies[name] = CompanyResult.not_applicable(view, self.holdout.metric_columns)
                continue
            held = company_data(self.data, view.rewritten_rows, view.new_items)
            validate = validation_metric(held, view.train, view.valid, str(self.cfg.trainer.monitor), self.device,
                                         int(self.cfg.trainer.eval_batch_size))
            member = StackMember(f"{self.key}/{name}", held, view.train, view.valid, int(self.cfg.seed), validate)
            self.members.append((name, view, held, member))

    def store(self, fits: list, n_trained: int, log, tracking) -> CellOutcome:
        """Evaluate each company's model and write the record (as one cell does)."""
        companies, tables = dict(self.companies), []
        for (name, view, held, _), fit in zip(self.members, fits):
            self.timings[f"train_{name}"] = fit.seconds  # its share of the group's wall time
            per_user = evaluate_company(self.cfg, name, fit, held, view, self.holdout, self.device, self.timings)
            training = {**training_summary(self.cfg, fit), "stacked_with": n_trained}
            companies[name] = trained_company(view, self.data, training, per_user, self.holdout.metric_columns)
            per_user.insert(0, "company", name)
            tables.append(per_user)
        companies = {name: companies[name] for name in self.state.companies}  # the order of the view
        self.timings["total"] = time.perf_counter() - self.started
        tracking.start(record_header(self.key, self.config, self.data, self.state))
        try:
            outcome = write_record(self.cfg, self.key, self.config, self.data, self.state, companies, tables,
                                   self.timings, log, tracking.record_entry())
        except BaseException:
            tracking.abort()
            raise
        same_draw.remember(self.cfg.results_dir, self.draw, outcome.key)
        return outcome

    def copy_of_twin(self, log, tracking_for) -> CellOutcome | None:
        """The record of the stored cell that drew the same participants, stored as this cell's."""
        twin = same_draw.copy_of_twin(self.cfg.results_dir, self.draw, self.key, self.config)
        if twin is None:
            return None
        log(f"cell {self.key}: same participants and data as the stored cell {twin[0]['same_draw_as']}: its result")
        tracking = tracking_for(self.cfg)
        tracking.start(record_header(self.key, self.config, self.data, self.state))
        outcome = store_record(self.cfg, self.key, *twin, log)
        tracking.finish(CellRecord.from_json(outcome.record), outcome.path)
        return outcome


def _train_together(cells: list[_Cell], log, tracking_for) -> list[CellOutcome]:
    """Train every company of ``cells`` in one stacked group, then store each cell's record.
    A cell whose draw another cell trains (stored, or earlier in the group) copies its record."""
    for cell in cells:
        cell.prepare()
    outcomes = {cell.index: cell.copy_of_twin(log, tracking_for) for cell in cells}
    first_of_draw = {}
    for cell in cells:
        if outcomes[cell.index] is None:
            first_of_draw.setdefault(cell.draw, cell)
    training = list(first_of_draw.values())
    members = [member for cell in training for (_, _, _, member) in cell.members]
    fits = iter(_fit_group(training, members, log).results if members else [])
    for cell in training:
        tracking = tracking_for(cell.cfg)
        outcomes[cell.index] = cell.store([next(fits) for _ in cell.members], len(training), log, tracking)
        if outcomes[cell.index].record is not None:
            tracking.finish(CellRecord.from_json(outcomes[cell.index].record), outcomes[cell.index].path)
    for cell in cells:  # the other cells of a draw trained in this group
        outcomes[cell.index] = outcomes[cell.index] or cell.copy_of_twin(log, tracking_for)
    if members:  # only now: a group killed before every record landed trains again from its checkpoint
        clear_checkpoint(_work_dir(training))
        shutil.rmtree(_work_dir(training), ignore_errors=True)
    return [outcomes[cell.index] for cell in cells]


def _work_dir(cells: list[_Cell]) -> Path:
    digest = hashlib.sha256(" ".join(cell.key for cell in cells).encode()).hexdigest()[:16]
    return Path(cells[0].cfg.work_dir) / f"{GROUP_DIR}{digest}"


def _fit_group(cells: list[_Cell], members: list, log):
    log(f"training {len(cells)} cells together ({len(members)} companies, trainer.stack) in {_work_dir(cells)}")
    group = fit_stacked(cells[0].cfg, members, cells[0].device, _work_dir(cells), log)
    if group.resumed_from_epoch is not None:
        log(f"stacked group resumed from its checkpoint after epoch {group.resumed_from_epoch}")
    return group
