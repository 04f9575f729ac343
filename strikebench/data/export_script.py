"""The runnable files an export carries beside its atomic files: ``run_recbole.py`` (RecBole's
own pipeline - Config, create_dataset, data_preparation, get_trainer - without
``recbole.quick_start``, which imports ray and fails on current setuptools) and ``README.txt``
with the commands, the quick_start one included."""
from __future__ import annotations

SCRIPT = '''"""Rerun the exported cell {name} in RecBole 1.2.1 and print its test metrics.

    python run_recbole.py                       # with strikebench's RecBole shims if it is installed
    python run_recbole.py --without-strikebench # RecBole alone (numpy 2 aliases only)

Model, hyperparameters, training and evaluation settings are in {name}.yaml. This uses RecBole's
pipeline without recbole.quick_start (which imports ray, broken on current setuptools), with one
change: equal scores rank by the smaller item index (strikebench's rule) instead of torch.topk's
arbitrary order.
strikebench's shims (strikebench.compat) make Pop count items exactly (RecBole counts an item once
per batch) and let RecBole's Trainer reload its best checkpoint under torch >= 2.6.
"""
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL, DATASET = {model!r}, {name!r}


def shims(use_strikebench: bool) -> bool:
    """Make RecBole 1.2.1 run on today's numpy (and more, with strikebench); True with strikebench's."""
    if use_strikebench:
        try:
            from strikebench import compat
        except ImportError:
            pass
        else:
            compat.apply()
            return True
    # numpy 2 removed the aliases RecBole's Config sets and its metrics use
    for old, new in (("float_", np.float64), ("complex_", np.complex128), ("unicode_", np.str_),
                     ("float", np.float64), ("int", np.int_), ("bool", np.bool_)):
        if old not in np.__dict__:
            setattr(np, old, new)
    return False


def ties_by_item_index(torch) -> None:
    """torch.topk orders equal scores arbitrarily (Pop's equal counts); rank them by the smaller
    item index instead, as strikebench does (the export numbers items in the cell's order)."""
    def topk(scores, k, dim=-1, largest=True, sorted=True):
        values, indices = torch.sort(scores, dim=dim, descending=largest, stable=True)
        return values.narrow(dim, 0, k), indices.narrow(dim, 0, k)

    torch.topk = topk


def main(argv):
    strikebench_shims = shims("--without-strikebench" not in argv)
    import torch
    ties_by_item_index(torch)
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    sys.argv = sys.argv[:1]  # RecBole's Config reads --key=value arguments
    os.chdir(HERE)  # RecBole writes log_tensorboard/ and saved/ into the working folder
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch's notes on RecBole's calls
    config = Config(model=MODEL, dataset=DATASET, config_file_list=[str(HERE / f"{{DATASET}}.yaml")],
                    config_dict={{"data_path": str(HERE.parent), "checkpoint_dir": str(HERE / "saved")}})
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    train, valid, test = data_preparation(config, dataset)
    model = get_model(config["model"])(config, train._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    # the best checkpoint pickles RecBole's Config: torch >= 2.6 reloads it only with the shims
    best = strikebench_shims or tuple(int(x) for x in torch.__version__.split(".")[:2]) < (2, 6)
    trainer.fit(train, valid, saved=best, show_progress=False)
    result = trainer.evaluate(test, load_best_model=best, show_progress=False)
    print(json.dumps({{k: float(v) for k, v in result.items()}}))


if __name__ == "__main__":
    main(sys.argv[1:])
'''

README = """{name}: the {company} view of strikebench cell {key}, as RecBole atomic files.

Files
  {name}.train.inter / .valid.inter   what the company trains and validates on
  {name}.test.inter                   the fixed test set ({test} view)
  {name}.yaml        RecBole settings: model {model}, its hyperparameters, training and evaluation
  participants.txt   the participants' user tokens
  run_recbole.py     reruns the cell in RecBole and prints its test metrics as JSON

Rerun (RecBole 1.2.1; torch, numpy as for strikebench):
  python {folder}/run_recbole.py
  python {folder}/run_recbole.py --without-strikebench   # RecBole alone, without strikebench's shims

RecBole's quick start, where ray imports (recbole.quick_start imports ray, which fails on current setuptools):
  python -c "from recbole.quick_start import run_recbole; run_recbole(model='{model}', dataset='{name}', config_file_list=['{folder}/{name}.yaml'])"

Exported with --test company, the printed metrics are the cell's company-view metrics for this
company (tests/app/test_export_roundtrip.py checks EASE and Pop). With --test holdout, plain RecBole
has no popularity fallback for test users the company holds no data for, so numbers differ.
Pop: RecBole 1.2.1 counts an item at most once per training batch, strikebench counts exactly;
run_recbole.py counts exactly when strikebench is installed.
"""


def script(model: str, name: str) -> str:
    return SCRIPT.format(model=model, name=name)


def readme(model: str, name: str, folder: str, company: str, key: str, test: str) -> str:
    return README.format(model=model, name=name, folder=folder, company=company, key=key, test=test)


__all__ = ["readme", "script"]
