"""One W&B run per cell, live while it trains (``logger=wandb``; conf/logger/wandb.yaml's ``_target_``).

The run starts before training, so its history fills epoch by epoch through Lightning's
``WandbLogger``: ``<company>/train/loss``, ``<company>/valid/ndcg@10`` and ``<company>/epoch``.
A transfer cell trains two companies: both go into the cell's one run, each under its own
prefix (``incumbent/...``, ``competitor/...``), plotted against its own epoch. When the record is
stored, the run gets the record's summary (every company / view / group / metric) and the record
as an artifact, and is finished.

W&B never breaks a cell: a run that cannot go online goes offline (one warning line), one that
cannot start at all is skipped, and a failure after the record is stored is a warning. How it
went is in the record's ``tracking`` entry; a cell whose run finished is marked under
``<results_dir>/wandb/logged/`` (``strikebench wandb-sync`` logs the others later).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from strikebench.extras import load
from strikebench.results.record import CellRecord
from strikebench.tracking import wandb_record
from strikebench.tracking.wandb_mode import OpenedRun, describe, one_line, open_run, resolve_mode

log = logging.getLogger(__name__)

WANDB_DIR = "wandb"  # under results_dir: offline-run-*, run-* and logged/
LOGGED = "logged"


def logged_marker(results_dir, cell_key: str) -> Path:
    """Written once a cell's run has finished: ``wandb-sync`` skips the cell."""
    return Path(results_dir) / WANDB_DIR / LOGGED / f"{cell_key}.json"


class WandbTracking:
    """``logger=wandb``: a cell's run (built by Hydra from conf/logger/wandb.yaml)."""

    def __init__(self, name: str = "wandb", project: str = "strikebench", entity: str | None = None,
                 group: str | None = None, mode: str = "auto", dir: str = "results", job_type: str | None = None,
                 sweep: str | None = None):
        """The settings of conf/logger/wandb.yaml; ``sweep``: the sweep's name (the default group)."""
        resolve_mode(str(mode))  # a bad logger.mode stops before anything runs
        self.name, self.project, self.entity, self.group, self.sweep = name, project, entity, group, sweep
        self.mode, self.results_dir, self.job_type = str(mode), Path(dir), job_type
        self.run, self.entry = None, None

    def start(self, header: CellRecord) -> None:
        """Open the cell's run; ``header`` is the record so far (keys, participants, no metrics)."""
        opened = open_cell_run(load("wandb", "logger=wandb"), header, self.mode, self.results_dir,
                               project=self.project, entity=self.entity,
                               group=self.group or self.sweep or f"{header.dataset['name']}-single-cells",
                               job_type=self.job_type)
        warning = describe(opened, self.results_dir / WANDB_DIR)
        if warning:
            log.warning(f"strikebench: {warning}")
        self.run = opened.run
        self.entry = {"run": wandb_record.run_id(header.cell_key), "mode": opened.mode,
                      **({"warning": opened.note} if opened.note else {})}

    def lightning_loggers(self, company: str) -> list:
        """Lightning loggers that write ``company``'s epochs into the cell's run."""
        if self.run is None:
            return []
        try:
            self.run.define_metric(f"{company}/epoch")
            self.run.define_metric(f"{company}/*", step_metric=f"{company}/epoch")
            return [_company_logger(self.run, company)]
        except Exception as exc:  # noqa: BLE001 - W&B must never break a cell
            self._give_up(f"live history for {company}", exc)
            return []

    def record_entry(self) -> dict | None:
        """The record's ``tracking`` entry: ``{"wandb": {"run", "mode", "warning"?}}``."""
        return {"wandb": dict(self.entry)} if self.entry else None

    def finish(self, record: CellRecord, cell_path: Path) -> None:
        """The record's summary and artifact, then the run's end; a failure here is a warning."""
        if self.run is None:
            return
        try:
            log_record(load("wandb", "logger=wandb"), self.run, record, cell_path)
            self.run.finish()
            if self.entry["mode"] in ("online", "offline"):  # WANDB_MODE=disabled logs nothing
                write_logged(self.results_dir, record.cell_key, self.entry["mode"], self.run)
        except Exception as exc:  # noqa: BLE001
            self._give_up("logging the stored record", exc)
            log.warning(f"strikebench: the record is stored in {cell_path}; `strikebench wandb-sync "
                        f"{self.results_dir}` logs it to W&B later")
        self.run = None

    def abort(self) -> None:
        """The cell failed: mark its run failed."""
        if self.run is not None:
            try:
                self.run.finish(exit_code=1)
            except Exception:  # noqa: BLE001 - the cell's own error is what matters
                pass
            self.run = None

    def _give_up(self, what: str, exc: Exception) -> None:
        log.warning(f"strikebench: W&B logging failed ({what}): {one_line(exc)}")
        if self.entry is not None:
            self.entry["mode"] = "failed"


def open_cell_run(wandb, record: CellRecord, mode: str, results_dir: Path, project: str, entity: str | None,
                  group: str, job_type: str | None = None) -> OpenedRun:
    """The run of the cell ``record`` describes (its id from the cell key: a rerun continues it)."""
    config = record.config
    return open_run(wandb, mode, id=wandb_record.run_id(record.cell_key), resume="allow", project=project,
                    entity=entity, group=group, job_type=job_type or str(config["strike"]["lever"]["name"]),
                    tags=wandb_record.tags(record), config=wandb_record.run_config(record), dir=str(results_dir),
                    name=f"{config['model']['name']}-p{config['strike']['participation']}-s{config['seed']}")


def log_record(wandb, run, record: CellRecord, cell_path: Path) -> None:
    """Into an open run: the record's config keys, its summary, and record.json as an artifact."""
    run.config.update(wandb_record.run_config(record), allow_val_change=True)
    run.summary.update(wandb_record.run_summary(record))
    artifact = wandb.Artifact(f"record-{record.cell_key}", type="cell-record",
                              metadata={"cell_key": record.cell_key, "study": wandb_record.study_of(record)})
    artifact.add_file(str(Path(cell_path) / "record.json"), name="record.json")
    run.log_artifact(artifact)


def write_logged(results_dir, cell_key: str, mode: str, run) -> None:
    marker = logged_marker(results_dir, cell_key)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run": run.id, "mode": mode, "project": run.project}))


def _company_logger(run, company: str):
    """Lightning's WandbLogger on the cell's open run, its keys prefixed ``<company>/``."""
    from lightning.pytorch.loggers import WandbLogger

    class CompanyLogger(WandbLogger):
        LOGGER_JOIN_CHAR = "/"

    return CompanyLogger(experiment=run, prefix=company)
