"""Levers through a whole cell on ML-100K (Pop, a couple of seconds each): what the record says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strikebench.levers.replay import replay
from strikebench.results import store
from strikebench.results.assemble import LEVER_ROWS

pytestmark = pytest.mark.slow  # whole cells on ML-100K


def run(compose_cfg, *overrides):
    from strikebench.app.cell import run_cell

    cfg = compose_cfg(["model=pop", "trainer=tiny", *overrides])
    outcome = run_cell(cfg, log=lambda m: None)
    return outcome.record, outcome.path


def test_a_competitor_with_no_data_is_not_applicable(compose_cfg, ml100k):
    record, path = run(compose_cfg, "strike/lever=transfer", "strike.participation=0")
    competitor = record["companies"]["competitor"]
    assert competitor["status"] == "not_applicable" and competitor["training"] is None
    assert competitor["metrics"]["holdout"]["all"]["ndcg@10"] is None
    assert record["companies"]["incumbent"]["status"] == "ok"
    per_user = store.read_per_user(path)
    assert set(per_user["company"]) == {"incumbent"}


def test_transfer_strike_record_shows_both_companies_and_the_moved_rows(compose_cfg, ml100k):
    data, split = ml100k
    record, path = run(compose_cfg, "strike/lever=transfer_strike", "strike.participation=0.2",
                       "strike.lever.base_share=0.1", "seed=3")
    inc, comp = record["companies"]["incumbent"], record["companies"]["competitor"]
    assert inc["status"] == comp["status"] == "ok"
    for company in (inc, comp):
        for view in ("holdout", "company"):
            assert set(company["metrics"][view]) == {"all", "participants", "non_participants"}
    moved = record["changes_by_company"]
    assert moved["incumbent"]["removed_train"] == record["levers"][1]["transferred"]["train"]
    assert inc["train_interactions"] == len(split.train) - moved["incumbent"]["removed_train"]
    assert comp["train_interactions"] == moved["competitor"]["added_train"]
    # the company view of the competitor is its own users: base users and participants
    assert comp["metrics"]["company"]["all"]["n_users"] == comp["users_with_training_data"]
    # a reviewer rebuilds both companies from the split and lever_rows.parquet
    rows = pd.read_parquet(path / LEVER_ROWS)
    rebuilt = replay(split.train, split.valid, rows)
    assert len(rebuilt["incumbent"].train) == inc["train_interactions"]
    assert len(rebuilt["competitor"].train) == comp["train_interactions"]
    assert len(rebuilt["competitor"].valid) == comp["valid_interactions"]
    assert record["lever_rows"] == {"file": LEVER_ROWS, "rows": len(rows)}


def test_poisoned_rows_reach_training_and_evaluation(compose_cfg, ml100k, monkeypatch):
    from strikebench.app import cell

    data, split = ml100k
    seen = {}
    real_fit, real_company_data = cell.fit_company, cell.company_data

    def rewrites(data_, rewritten_rows, new_items):
        seen["rewritten_rows"], seen["new_items"] = rewritten_rows, new_items
        return real_company_data(data_, rewritten_rows, new_items)

    def spy(cfg, held, split_, train_rows, valid_rows, device, work_dir, valid_metric, **lightning):
        seen["held"] = held
        return real_fit(cfg, held, split_, train_rows, valid_rows, device, work_dir, valid_metric, **lightning)

    monkeypatch.setattr(cell, "company_data", rewrites)
    monkeypatch.setattr(cell, "fit_company", spy)
    record, path = run(compose_cfg, "strike/lever=poison", "strike.participation=0.3")
    held, rewritten_rows, new_items = seen["held"], seen["rewritten_rows"], seen["new_items"]
    assert len(rewritten_rows) == record["companies"]["incumbent"]["rewritten_interactions"] > 0
    # the company's data points at the new items, in the arrays and in RecBole's table
    iid = data.recbole_dataset.iid_field
    assert np.array_equal(held.item[rewritten_rows], new_items)
    assert np.array_equal(held.recbole_dataset.inter_feat[iid].numpy()[rewritten_rows], new_items)
    # ... and nothing else changed, in the company's copy or in the shared data
    others = np.setdiff1d(np.arange(len(data)), rewritten_rows)
    assert np.array_equal(held.item[others], data.item[others])
    assert not np.array_equal(data.item[rewritten_rows], new_items)
    assert np.array_equal(data.recbole_dataset.inter_feat[iid].numpy(), data.item)
    rows = pd.read_parquet(path / LEVER_ROWS)
    assert set(rows["change"]) == {"rewritten"} and rows["new_item"].notna().all()
    # a rewrite never points at an item the user has in any split
    pairs = set(zip(data.user_tokens[data.user].astype(str), data.item_tokens[data.item].astype(str)))
    assert not any((u, i) in pairs for u, i in zip(rows["user"], rows["new_item"]))


@pytest.mark.parametrize("overrides", [
    ["strike/lever=partial_strike", "strike/selector=power_users"],
    ["strike/lever=category_strike", "strike/selector=fans"],
    ["strike/lever=temporal_strike", "split.order=TO", "strike/selector=age"],
    ["strike/lever=poison_category", "strike/selector=attribute", "strike.selector.value=M"],
    ["strike/lever=cdc_strike", "strike/selector=light_users", "strike.lever.base_share=0.2"],
])
def test_every_lever_and_selector_runs_a_cell(compose_cfg, ml100k, overrides):
    from strikebench.data.cache import get_split

    cfg = compose_cfg(overrides)  # the cell's own split (temporal_strike's is time-ordered)
    _, split = get_split(cfg.dataset, cfg.data_root, cfg.split)
    record, path = run(compose_cfg, "strike.participation=0.5", *overrides)
    incumbent = record["companies"]["incumbent"]
    assert incumbent["status"] == "ok"
    assert record["participants"]["count"] > 0 and record["participants"]["group"] != "all users"
    assert record["levers"] and all("company" in step for step in record["levers"])
    # The lever acted on the incumbent's rows of participants only (a competitor's base data is
    # anybody's), and the incumbent trained on what it left.
    rows = pd.read_parquet(path / LEVER_ROWS)
    at_incumbent = rows[rows["company"] == "incumbent"]
    assert len(at_incumbent) > 0 and set(at_incumbent["user"]) <= set(record["participants"]["users"])
    assert len(replay(split.train, split.valid, rows)["incumbent"].train) == incumbent["train_interactions"]
    if "poison" in overrides[0]:
        assert incumbent["rewritten_interactions"] == (rows["change"] == "rewritten").sum() > 0
    else:
        assert incumbent["train_interactions"] < len(split.train)
