"""A cell's company view exported as RecBole benchmark files gives the same metrics in plain RecBole,
both through RecBole's pipeline on the exported YAML and through the exported ``run_recbole.py``;
the exported files are the company's view as the cell's record has it. ML-100K cells: slow."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from strikebench import compat
from strikebench.app.cell import run_cell
from strikebench.app.export import main as export_main

pytestmark = pytest.mark.slow

METRICS = ("ndcg@10", "recall@10", "hit@10", "mrr@10", "precision@10")


def plain_recbole(export_dir: Path) -> dict:
    """RecBole's own pipeline on the exported files and settings: create_dataset, data_preparation, Trainer."""
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import get_model, init_seed

    settings = yaml.safe_load((export_dir / f"{export_dir.name}.yaml").read_text())
    settings.update(show_progress=False, checkpoint_dir=str(export_dir / "saved"))
    config = compat.recbole_config(settings["model"], settings.pop("dataset"), settings)
    init_seed(config["seed"], True)
    dataset = create_dataset(config)
    train, _, test = data_preparation(config, dataset)
    trainer = Trainer(config, get_model(config["model"])(config, train._dataset).to(config["device"]))
    trainer.fit(train, valid_data=None, saved=False, show_progress=False)
    return trainer.evaluate(test, load_best_model=False)


def export_cell(model: str, participation: float, tmp_path: Path, compose_cfg) -> tuple[dict, Path]:
    """Run the cell, export its incumbent company view; (the record, the export folder)."""
    overrides = [f"model={model}", f"strike.participation={participation}", "seed=2", f"results_dir={tmp_path / 'r'}"]
    record = run_cell(compose_cfg(overrides)).record
    assert export_main([str(tmp_path / "export"), *overrides, "--test", "company"]) == 0
    (export_dir,) = (tmp_path / "export").iterdir()
    return record, export_dir


# EASE, not ItemKNN: ItemKNN keeps each item's top-k neighbours, and which of two equally similar
# neighbours it keeps depends on item ids, which plain RecBole assigns anew when it reads the export.
@pytest.mark.parametrize("participation", [0.0, 0.3])
def test_export_round_trip_ease(participation, compose_cfg, tmp_path):
    record, export_dir = export_cell("ease", participation, tmp_path, compose_cfg)
    company_view = record["companies"]["incumbent"]["metrics"]["company"]["all"]
    non_participants = record["companies"]["incumbent"]["metrics"]["holdout"]["non_participants"]
    participants = (export_dir / "participants.txt").read_text().split()
    assert participants == record["participants"]["users"]
    train = pd.read_csv(export_dir / f"{export_dir.name}.train.inter", sep="\t", dtype=str)
    assert not set(train["user_id:token"]) & set(participants)  # participants' data is gone

    theirs = plain_recbole(export_dir)
    for metric in METRICS:
        # The company view's users are exactly the non-participants; at p = 0, everyone.
        assert company_view[metric] == pytest.approx(non_participants[metric], abs=1e-12)
        assert company_view[metric] == pytest.approx(float(theirs[metric]), abs=1e-6), metric


def test_exported_yaml_names_the_model_its_hyperparameters_and_training(compose_cfg, tmp_path):
    _, export_dir = export_cell("bpr", 0.3, tmp_path, compose_cfg)
    settings = yaml.safe_load((export_dir / f"{export_dir.name}.yaml").read_text())
    # conf/model/bpr.yaml and conf/trainer/default.yaml, as RecBole names them
    assert settings["model"] == "BPR" and settings["embedding_size"] == 64
    assert settings["learning_rate"] == 0.005 and settings["train_batch_size"] == 2048
    assert settings["train_neg_sample_args"] == {"distribution": "uniform", "sample_num": 1, "alpha": 1.0,
                                                 "dynamic": False, "candidate_num": 0}
    assert (settings["epochs"], settings["stopping_step"], settings["valid_metric"]) == (30, 3, "NDCG@10")
    assert settings["seed"] == 2 and settings["topk"] == [10]
    assert settings["metrics"] == ["NDCG", "Recall", "Hit", "MRR", "Precision"]
    readme = (export_dir / "README.txt").read_text()
    assert f"run_recbole(model='BPR', dataset='{export_dir.name}'" in readme
    assert f"python {export_dir.resolve()}/run_recbole.py" in readme


@pytest.mark.parametrize("model,flags", [("ease", ["--without-strikebench"]), ("pop", [])])
def test_exported_script_reproduces_the_company_view(model, flags, compose_cfg, tmp_path):
    record, export_dir = export_cell(model, 0.3, tmp_path, compose_cfg)
    company_view = record["companies"]["incumbent"]["metrics"]["company"]["all"]
    run = subprocess.run([sys.executable, str(export_dir / "run_recbole.py"), *flags], capture_output=True,
                         text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    for metric in METRICS:
        assert company_view[metric] == pytest.approx(theirs[metric], abs=1e-6), metric
    assert not (tmp_path / "log_tensorboard").exists()  # RecBole's files stay in the export folder


def exported(export_dir: Path, part: str) -> list[tuple]:
    table = pd.read_csv(export_dir / f"{export_dir.name}.{part}.inter", sep="\t", dtype=str)
    return sorted(zip(table["user_id:token"], table["item_id:token"], table["timestamp:float"].astype(float)))


def as_tokens(data, rows, items) -> list[tuple]:
    return sorted(zip(data.user_tokens[data.user[rows]].astype(str), data.item_tokens[items].astype(str),
                      data.timestamp[rows].astype(float)))


@pytest.mark.parametrize("company,overrides", [
    ("incumbent", ["strike.participation=0.3"]),
    ("incumbent", ["strike/lever=poison", "strike.participation=0.3"]),
    ("competitor", ["strike/lever=transfer_strike", "strike.participation=0.2", "strike.lever.base_share=0.1"]),
], ids=["strike", "poison", "transfer competitor"])
def test_the_exported_files_are_the_companys_view_and_the_fixed_test_set(company, overrides, compose_cfg, ml100k,
                                                                         tmp_path):
    """``--test holdout``: train and valid as the company holds them after the levers (replayed from
    the cell's lever_rows.parquet, rewrites included), the test file the whole fixed test set."""
    from strikebench.levers.replay import replay
    from strikebench.results.assemble import LEVER_ROWS

    data, split = ml100k
    overrides = ["model=pop", "trainer=tiny", "seed=1", *overrides, f"results_dir={tmp_path / 'r'}"]
    outcome = run_cell(compose_cfg(overrides), log=lambda m: None)
    assert export_main([str(tmp_path / "export"), *overrides, "--company", company, "--test", "holdout"]) == 0
    (export_dir,) = (tmp_path / "export").iterdir()

    rows = pd.read_parquet(outcome.path / LEVER_ROWS)
    item_id = {str(token): i for i, token in enumerate(data.item_tokens)}
    new_items = rows["new_item"].map(lambda t: item_id.get(t, -1) if isinstance(t, str) else -1).to_numpy()
    view = replay(split.train, split.valid, rows.assign(new_item=new_items))[company]
    assert len(view.train) == outcome.record["companies"][company]["train_interactions"] > 0
    for part, held in (("train", view.train), ("valid", view.valid)):
        assert exported(export_dir, part) == as_tokens(data, held, view.items(data.item, held)), part
    assert exported(export_dir, "test") == as_tokens(data, split.test, data.item[split.test])

    participants = set(outcome.record["participants"]["users"])
    valid_users = {user for user, _, _ in exported(export_dir, "valid")}
    if company == "incumbent" and "poison" not in overrides[3]:
        assert not valid_users & participants  # the strikers' validation rows left with them
    if "poison" in overrides[3]:  # the rewritten rows hold their new items in the exported training file
        rewritten = rows[(rows["change"] == "rewritten") & (rows["part"] == "train")]
        assert len(rewritten) > 0
        assert set(zip(rewritten["user"], rewritten["new_item"])) <= {(u, i) for u, i, _ in exported(export_dir, "train")}
    if company == "competitor":  # the competitor holds the participants' validation rows, moved to it
        assert participants & valid_users


def test_export_refuses_to_overwrite_silently(tmp_path, capsys):
    from strikebench.errors import StrikebenchError

    args = [str(tmp_path / "e"), "model=pop", "strike.participation=0.1", f"results_dir={tmp_path}"]
    assert export_main(args) == 0
    with pytest.raises(StrikebenchError, match="--overwrite"):
        export_main(args)
    assert export_main([*args, "--overwrite"]) == 0
