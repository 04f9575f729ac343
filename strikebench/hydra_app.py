"""The Hydra application: one call runs one cell; ``-m`` runs many through Hydra's launcher."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from strikebench.cell import preflight, resolved_config, run_cell
from strikebench.config.paths import CONF_DIR
from strikebench.errors import StrikebenchError
from strikebench.results import store
from strikebench.results.keys import cell_key
from strikebench.sweep import compose_cell, expand
from strikebench.tracking import log_cell

CELL_MARKER = "cell.json"  # written into each job's folder; the sweep summary reads them


def preflight_all(overrides: list[str], multirun: bool) -> None:
    """Check every cell before any of them trains; raise StrikebenchError naming the field."""
    cells = expand(overrides) if multirun else [overrides]
    if multirun:
        print(f"strikebench: checking {len(cells)} cells before the sweep starts", file=sys.stderr)
    for cell in cells:
        cfg = compose_cell(cell)
        if cfg.resume and not cfg.force and store.is_done(cfg.results_dir, cell_key(resolved_config(cfg))):
            continue
        try:
            preflight(cfg)
        except StrikebenchError as exc:
            if not multirun:
                raise
            raise StrikebenchError(f"{exc} [in the cell {' '.join(cell)}]") from None


def _describe(cfg) -> str:
    return f"{cfg.model.name} {cfg.strike.lever.name} p={cfg.strike.participation} seed={cfg.seed}"


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    started = time.perf_counter()
    try:
        outcome = run_cell(cfg, log=lambda m: print(f"  {m}"))
    except StrikebenchError as exc:
        print(f"strikebench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CELL_MARKER).write_text(json.dumps({"key": outcome.key, "path": str(outcome.path)}))
    if outcome.ran:
        log_cell(cfg, outcome.record)
    metrics = outcome.record["companies"]["incumbent"]["metrics"]["holdout"]
    monitor = f"ndcg@{cfg.eval.ks[0]}"
    groups = ", ".join(
        f"{g}={metrics[g][monitor]:.4f}" for g in ("all", "participants", "non_participants") if metrics[g][monitor] is not None
    )
    status = "done" if outcome.ran else "reused"
    print(f"[{status}] {_describe(cfg)}: {monitor} {groups} ({time.perf_counter() - started:.1f}s) -> {outcome.path}")
