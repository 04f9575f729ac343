"""Records -> the long results table of docs/results-table.md (one row per metric value)."""
from __future__ import annotations

import pandas as pd


# Lever settings that are plumbing, not part of what the lever does.
_LEVER_PLUMBING = ("name", "company", "levers", "from_company", "to_company")


def lever_label(lever_cfg: dict) -> str:
    """The lever's name with its settings, e.g. ``partial_strike(share=0.25)``, so that cells
    that differ only in a lever setting are not pooled."""
    settings = {k: v for k, v in lever_cfg.items() if k not in _LEVER_PLUMBING and v is not None}
    if not settings:
        return str(lever_cfg["name"])
    return f"{lever_cfg['name']}(" + ",".join(f"{k}={v}" for k, v in sorted(settings.items())) + ")"


def selector_label(record: dict) -> str:
    """``random``, or the selector with the group it chose, e.g. ``attribute:gender=F``."""
    name = record["config"]["strike"]["selector"]["name"]
    group = record["participants"].get("group")
    return name if name == "random" or not group else f"{name}:{group}"


def record_keys(record: dict) -> dict:
    config = record["config"]
    strike = config["strike"]
    return {
        "dataset": record["dataset"]["name"],
        "model": config["model"]["name"],
        "family": config["model"].get("family"),
        "lever": lever_label(strike["lever"]),
        "selector": selector_label(record),
        "participation": float(strike["participation"]),
        "seed": int(config["seed"]),
        "cell_key": record["cell_key"],
    }


def records_to_table(records) -> pd.DataFrame:
    rows = []
    for record in records:
        keys = record_keys(record)
        for company, info in record["companies"].items():
            if info.get("status", "ok") != "ok":  # e.g. a competitor holding no data: not applicable
                continue
            for view, groups in info["metrics"].items():
                for group, values in groups.items():
                    for metric, value in values.items():
                        if metric == "n_users":
                            continue
                        rows.append({**keys, "company": company, "view": view, "group": group,
                                     "metric": metric, "value": value, "n_users": values["n_users"]})
    columns = ["dataset", "model", "family", "lever", "selector", "company", "view", "participation",
               "seed", "group", "metric", "value", "n_users", "cell_key"]
    return pd.DataFrame(rows, columns=columns)
