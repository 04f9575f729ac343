"""At the end of a ``-m`` sweep, print its table and write its plot (Hydra callback); with
``logger=wandb``, log them and the study chart to the sweep's summary run."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from hydra.experimental.callback import Callback

from strikebench.results import store


class SweepSummary(Callback):
    def on_multirun_end(self, config, **kwargs) -> None:
        from strikebench.reporting.sweep_summary import cell_rows, summarize_rows

        sweep_dir = Path(str(config.hydra.sweep.dir))
        records = []
        for marker in sorted(sweep_dir.glob("*/cell.json")):
            path = Path(json.loads(marker.read_text())["path"])
            record = store.load_cell(path)  # None if missing or damaged (then set aside)
            if record is not None:
                records.append((record, path))
        if not records:
            print("strikebench: no cell of this sweep finished; nothing to summarise")
            return
        metric = f"ndcg@{config.eval.ks[0]}"
        rows = cell_rows(records, metric)
        text, figure = summarize_rows(rows, sweep_dir, metric, [record for record, _ in records])
        print(f"\n{len(records)} cells, incumbent, holdout test set; Δ = change against the same users at p = 0\n")
        print(text)
        print(f"\ntable: {sweep_dir / 'summary.md'}\nplot:  {figure}")
        if config.logger.name == "wandb":
            try:
                log_to_wandb(config, sweep_dir, rows, figure, metric)
            except Exception as exc:  # noqa: BLE001 - every cell is stored; W&B is extra
                print(f"strikebench: warning: the sweep's W&B summary failed: {type(exc).__name__}: {exc}",
                      file=sys.stderr)


def log_to_wandb(config, sweep_dir: Path, rows, figure: Path, metric: str) -> None:
    """The sweep Table, its plot and the study chart (per model family, seed bands) in W&B."""
    import pandas as pd

    from strikebench.reporting.study_curves import chart_rows, family_curves, plot_families
    from strikebench.results.vocabulary import GROUPS
    from strikebench.tracking.wandb_sweep import log_sweep

    curves = family_curves(rows)
    family_figure = plot_families(curves, metric, sweep_dir / f"{metric.replace('@', '_at_')}_by_family.png")
    chart = {group: chart_rows(curves, group) for group in GROUPS}
    images = {"plot": figure, f"study/{metric}_by_family": family_figure}
    log_sweep(config.logger, sweep_dir.name, pd.read_csv(sweep_dir / "summary.csv"), chart, metric, images)
