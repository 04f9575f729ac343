"""At the end of a ``-m`` sweep, print its table and write its plot (Hydra callback)."""
from __future__ import annotations

import json
from pathlib import Path

from hydra.experimental.callback import Callback

from strikebench.results import store


class SweepSummary(Callback):
    def on_multirun_end(self, config, **kwargs) -> None:
        from strikebench.reporting.sweep_summary import summarize

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
        text, figure = summarize(records, sweep_dir, metric)
        print(f"\n{len(records)} cells, incumbent, holdout test set; Δ = change against the same users at p = 0\n")
        print(text)
        print(f"\ntable: {sweep_dir / 'summary.md'}\nplot:  {figure}")
        if config.logger.name == "wandb":
            import pandas as pd

            from strikebench.tracking.wandb_logger import log_sweep_table

            log_sweep_table(config, sweep_dir.name, pd.read_csv(sweep_dir / "summary.csv"), figure)
