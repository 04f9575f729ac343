"""A cell's company view exported as RecBole benchmark files gives the same metrics in plain RecBole."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from strikebench import compat
from strikebench.app.cell import run_cell
from strikebench.app.export import main as export_main

METRICS = ["NDCG", "Recall", "Hit", "MRR", "Precision"]


def plain_recbole(export_dir: Path, model: str, params: dict) -> dict:
    """RecBole's own pipeline on the exported files: create_dataset, data_preparation, Trainer."""
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import get_model, init_seed

    settings = yaml.safe_load((export_dir / f"{export_dir.name}.yaml").read_text())
    settings.update(params, topk=[10], metrics=METRICS, metric_decimal_place=10, show_progress=False,
                    checkpoint_dir=str(export_dir / "saved"), epochs=1)
    config = compat.recbole_config(model, settings.pop("dataset"), settings)
    init_seed(0, True)
    dataset = create_dataset(config)
    train, _, test = data_preparation(config, dataset)
    trainer = Trainer(config, get_model(model)(config, train._dataset).to(config["device"]))
    trainer.fit(train, valid_data=None, saved=False, show_progress=False)
    return trainer.evaluate(test, load_best_model=False)


# EASE, not ItemKNN: ItemKNN keeps each item's top-k neighbours, and which of two equally similar
# neighbours it keeps depends on item ids, which plain RecBole assigns anew when it reads the export.
@pytest.mark.parametrize("participation", [0.0, 0.3])
def test_export_round_trip_ease(participation, compose_cfg, tmp_path):
    overrides = ["model=ease", f"strike.participation={participation}", "seed=2", f"results_dir={tmp_path / 'r'}"]
    outcome = run_cell(compose_cfg(overrides))
    company_view = outcome.record["companies"]["incumbent"]["metrics"]["company"]["all"]
    non_participants = outcome.record["companies"]["incumbent"]["metrics"]["holdout"]["non_participants"]

    assert export_main([str(tmp_path / "export"), *overrides, "--test", "company"]) == 0
    (export_dir,) = (tmp_path / "export").iterdir()
    participants = (export_dir / "participants.txt").read_text().split()
    assert participants == outcome.record["participants"]["users"]
    train = pd.read_csv(export_dir / f"{export_dir.name}.train.inter", sep="\t", dtype=str)
    assert not set(train["user_id:token"]) & set(participants)  # participants' data is gone

    theirs = plain_recbole(export_dir, "EASE", {"reg_weight": 250.0})
    for metric in ("ndcg@10", "recall@10", "hit@10", "mrr@10", "precision@10"):
        # The company view's users are exactly the non-participants; at p = 0, everyone.
        assert company_view[metric] == pytest.approx(non_participants[metric], abs=1e-12)
        assert company_view[metric] == pytest.approx(float(theirs[metric]), abs=1e-6), metric


def test_export_refuses_to_overwrite_silently(tmp_path, capsys):
    from strikebench.errors import StrikebenchError

    args = [str(tmp_path / "e"), "model=pop", "strike.participation=0.1", f"results_dir={tmp_path}"]
    assert export_main(args) == 0
    with pytest.raises(StrikebenchError, match="--overwrite"):
        export_main(args)
    assert export_main([*args, "--overwrite"]) == 0
