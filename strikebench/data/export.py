"""A cell's company view as RecBole benchmark atomic files, to rerun it in plain RecBole.

The command ``strikebench export`` (strikebench.app.export) writes
``OUT_DIR/<name>/<name>.{train,valid,test}.inter`` with the original user and item
tokens (rows in the cell's item order, so RecBole numbers the items as the cell did), a ``<name>.yaml`` RecBole config that reads them (``benchmark_filename``) and names the
model with its hyperparameters, training and evaluation settings, the participants, and
``run_recbole.py`` / ``README.txt`` to rerun it (``export_script``). ``--test company`` keeps only
the test users the company holds training data for (the company view): plain RecBole has no
popularity fallback for the others.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from strikebench.data.export_script import readme, script
from strikebench.errors import ConfigError, StrikebenchError
from strikebench.results.atomic import new_temporary_dir, publish_directory

PARTS = ("train", "valid", "test")


def company_tables(data, split, state, company: str, test_users: str = "holdout") -> dict[str, pd.DataFrame]:
    """The company's train / valid and the fixed test set, as token tables."""
    if company not in state.companies:
        raise ConfigError("--company", f"no company {company!r} in this cell", ", ".join(state.companies))
    view = state.companies[company]
    test = split.test
    if test_users == "company":
        held = np.zeros(data.n_users, dtype=bool)
        held[data.user[view.train]] = True
        test = test[held[data.user[test]]]
    tables = {}
    for part, rows in zip(PARTS, (view.train, view.valid, test)):
        # train and valid as the company holds them (poisoning rewrites items); test untouched
        items = data.item[rows] if part == "test" else view.items(data.item, rows)
        table = {"user_id:token": data.user_tokens[data.user[rows]], "item_id:token": data.item_tokens[items]}
        if data.rating is not None:
            table["rating:float"] = data.rating[rows]
        if data.timestamp is not None:
            table["timestamp:float"] = data.timestamp[rows]
        # rows in the cell's item order: RecBole numbers items by first appearance, so it then
        # numbers them as the cell did, and equal scores (Pop's equal counts) tie-break the same way
        order = np.argsort(items, kind="stable")
        tables[part] = pd.DataFrame(table).iloc[order].reset_index(drop=True)
    return tables


def recbole_settings(name: str, data_path: Path, tables: dict) -> dict:
    columns = [c.split(":")[0] for c in tables["train"].columns]
    settings = {
        "dataset": name,
        "data_path": str(data_path),
        "benchmark_filename": list(PARTS),
        "load_col": {"inter": columns},
        "normalize_all": False,
        "eval_args": {"group_by": "user", "order": "RO", "split": {"RS": [0.8, 0.1, 0.1]}, "mode": "full"},
    }
    if "rating" in columns:
        settings["RATING_FIELD"] = "rating"
    if "timestamp" in columns:
        settings["TIME_FIELD"] = "timestamp"
    return settings


def write_export(tables: dict, out_dir: Path, name: str, participants: list[str], overwrite: bool = False,
                 model: dict | None = None, about: dict | None = None) -> Path:
    """Write the files into ``out_dir/name`` atomically; refuse to replace an export silently.

    ``model``: RecBole settings of the model (``model`` and its hyperparameters, training and
    evaluation), merged into the YAML; with it come ``run_recbole.py`` and ``README.txt``
    (``about``: ``company``, ``key`` and ``test`` of the cell, for the README)."""
    final = Path(out_dir) / name
    if final.exists() and not overwrite:
        raise StrikebenchError(f"{final} exists; pass --overwrite to replace it")
    tmp = new_temporary_dir(final)
    try:
        for part, table in tables.items():
            table.to_csv(tmp / f"{name}.{part}.inter", sep="\t", index=False)
        settings = {**(model or {}), **recbole_settings(name, final.resolve().parent, tables)}
        with open(tmp / f"{name}.yaml", "w") as fh:
            yaml.safe_dump(settings, fh, sort_keys=False)
        (tmp / "participants.txt").write_text("".join(f"{u}\n" for u in participants))
        if model:
            (tmp / "run_recbole.py").write_text(script(model["model"], name))
            (tmp / "README.txt").write_text(readme(model["model"], name, str(final.resolve()), **(about or {})))
        if not publish_directory(tmp, final, replace=overwrite):  # another export got there first
            raise StrikebenchError(f"{final} exists; pass --overwrite to replace it")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def export_name(cfg, company: str, key: str) -> str:
    # Never "ml-100k": RecBole resolves that name to its bundled copy whatever data_path says.
    return f"{cfg.dataset.name}-{company}-{key[:8]}"
