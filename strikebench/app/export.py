"""Export a cell's company view as RecBole benchmark atomic files, to rerun it in plain RecBole.

    strikebench export OUT_DIR [KEY=VALUE ...] [--company incumbent] [--test holdout|company]

The cell is composed and checked as for a run (no training); the files are written by
:mod:`strikebench.data.export`: the atomic files, a RecBole YAML naming the model with its
hyperparameters (``training.recbole_config``'s translation of the cell config), the training and
evaluation settings, ``run_recbole.py`` and a ``README.txt`` with the commands.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from strikebench.app.cell import preflight, resolved_config
from strikebench.app.sweep import compose_cell
from strikebench.config.plain import to_plain
from strikebench.data.export import company_tables, export_name, write_export
from strikebench.results.keys import cell_key
from strikebench.results.vocabulary import VIEWS
from strikebench.training.recbole_config import recbole_config_dict

#: strikebench metric names -> RecBole's
RECBOLE_METRICS = {"ndcg": "NDCG", "recall": "Recall", "hit": "Hit", "mrr": "MRR", "precision": "Precision",
                   "map": "MAP"}
#: what RecBole needs of recbole_config_dict to train the model as the cell did (not paths, devices or logging)
TRAINING_KEYS = ("seed", "reproducibility", "learning_rate", "weight_decay", "train_batch_size", "train_neg_sample_args")


def _recbole_metric(name: str) -> str:
    base, _, k = str(name).partition("@")
    return f"{RECBOLE_METRICS.get(base, base)}@{k}" if k else RECBOLE_METRICS.get(base, base)


def model_settings(cfg) -> dict:
    """The cell's model as RecBole settings: ``model``, its hyperparameters, how it was trained
    (early stopping on the company's validation ``trainer.monitor``) and evaluated (``eval``)."""
    translated = recbole_config_dict(cfg, device="cpu")
    params = to_plain(cfg.model.get("params") or {})
    settings = {"model": str(cfg.model.name), **params, **{k: translated[k] for k in TRAINING_KEYS}}
    trainer = cfg.trainer
    settings.update(epochs=int(trainer.max_epochs), stopping_step=int(trainer.patience),
                    eval_step=int(trainer.eval_every), valid_metric=_recbole_metric(trainer.monitor),
                    eval_batch_size=int(trainer.eval_batch_size), topk=[int(k) for k in cfg.eval.ks],
                    metrics=[RECBOLE_METRICS.get(m, m) for m in cfg.eval.metrics], metric_decimal_place=10)
    return settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench export", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the cell, as for a run")
    parser.add_argument("--company", default="incumbent")
    parser.add_argument("--test", choices=VIEWS, default="holdout",
                        help="holdout: the whole fixed test set; company: only users the company holds data for")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)

    cfg = compose_cell(args.overrides)
    data, split, state, _ = preflight(cfg)
    key = cell_key(resolved_config(cfg))
    tables = company_tables(data, split, state, args.company, args.test)
    participants = [str(t) for t in data.user_tokens[state.participants.users]]
    path = write_export(tables, args.out_dir, export_name(cfg, args.company, key), participants, args.overwrite,
                        model=model_settings(cfg), about={"company": args.company, "key": key, "test": args.test})
    sizes = ", ".join(f"{part} {len(t)}" for part, t in tables.items())
    print(f"exported {args.company} view of cell {key} ({sizes}) to {path}")
    print(f"rerun in RecBole: python {path / 'run_recbole.py'}   (settings: {path / (path.name + '.yaml')}; "
          f"commands: {path / 'README.txt'})")
    return 0
