"""Records -> the long results table of docs/results-table.md (one row per metric value)."""
from __future__ import annotations

import pandas as pd


def record_keys(record: dict) -> dict:
    config = record["config"]
    strike = config["strike"]
    return {
        "dataset": record["dataset"]["name"],
        "model": config["model"]["name"],
        "family": config["model"].get("family"),
        "lever": strike["lever"]["name"],
        "selector": strike["selector"]["name"],
        "participation": float(strike["participation"]),
        "seed": int(config["seed"]),
        "cell_key": record["cell_key"],
    }


def records_to_table(records) -> pd.DataFrame:
    rows = []
    for record in records:
        keys = record_keys(record)
        for company, info in record["companies"].items():
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
