"""`strikebench leaderboard verify`'s rules, by hand (the forgeries end to end: test_verify_forgery.py)."""
from __future__ import annotations

import pytest

from strikebench.reporting import tolerances, verify
from strikebench.reporting.manifest import BadManifest


def test_tolerances_come_from_the_model_type():
    assert tolerances.model_kind("Pop") == tolerances.model_kind("ItemKNN") == tolerances.model_kind("EASE") \
        == "deterministic"
    assert tolerances.model_kind("BPR") == tolerances.model_kind("SASRec") == "trained"
    assert tolerances.metric_tolerance("deterministic", "incumbent/holdout/all/ndcg@10") == 1e-6
    assert tolerances.metric_tolerance("trained", "incumbent/holdout/all/ndcg@10") == 0.02
    assert tolerances.metric_tolerance("trained", "competitor/company/participants/hit@10") == 0.05
    assert tolerances.metric_tolerance("trained", "incumbent/holdout/all/n_users") == 0.0
    with pytest.raises(ValueError):
        tolerances.model_kind("NoSuchModel")


def test_compare_by_hand():
    check = verify.CellCheck("k", "BPR", "strike", 0.3, 0, "trained")
    verify.compare({"a/b/all/ndcg@10": 0.30, "a/b/all/hit@10": 0.70, "a/b/participants/ndcg@10": None,
                    "a/b/all/n_users": 5},
                   {"a/b/all/ndcg@10": 0.31, "a/b/all/hit@10": 0.74, "a/b/participants/ndcg@10": None,
                    "a/b/all/n_users": 5}, "trained", check)
    assert check.ok and check.worst_metric == "a/b/all/hit@10" and check.max_difference == pytest.approx(0.04)
    verify.compare({"a/b/all/ndcg@10": 0.30, "c/b/all/ndcg@10": None, "a/b/all/n_users": 5, "gone/x/all/mrr@10": 0.1},
                   {"a/b/all/ndcg@10": 0.33, "c/b/all/ndcg@10": 0.1, "a/b/all/n_users": 6, "new/x/all/mrr@10": 0.1},
                   "trained", check)
    assert check.mismatches == [
        "a/b/all/n_users: published 5, now 6 (|Δ| = 1 > 0)",
        "a/b/all/ndcg@10: published 0.3, now 0.33 (|Δ| = 0.03 > 0.02)",
        "c/b/all/ndcg@10: published None, now 0.1",
        "gone/x/all/mrr@10: published 0.1, but the re-run has no such value",
        "new/x/all/mrr@10: not published (the re-run gives 0.1)",
    ]


def test_sample_is_seeded():
    cells = {"cells": [{"cell_key": f"{i:02d}"} for i in range(20)]}
    a = [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=1)]
    assert a == [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=1)]
    assert a != [c["cell_key"] for c in verify.sample_cells(cells, 5, seed=2)]
    assert len(verify.sample_cells(cells, 50, seed=0)) == 20


def test_code_names_in_a_config():
    config = {"model": {"name": "mypkg.models.MF"}, "strike": {
        "selector": {"name": "random"},
        "lever": {"name": "both", "levers": [{"name": "strike"}, {"name": "mypkg.levers:Mine"}]}},
        "callbacks": {"mine": {"_target_": "x.Y"}},
        # logger=wandb's own _target_: a re-run replaces the logger with logger=local, so it never runs
        "logger": {"_target_": "strikebench.tracking.wandb_logger.WandbTracking"}}
    assert verify.code_names(config) == ["strike.lever.levers.1.name='mypkg.levers:Mine'",
                                         "callbacks.mine._target_='x.Y'", "model.name='mypkg.models.MF'"]
    assert verify.code_names({"model": {"name": "BPR"}, "strike": {"lever": {"name": "strike"}}}) == []
    with pytest.raises(BadManifest, match="--allow-code"):
        verify.refuse_code({"cells": [{"cell_key": "k", "model": "BPR", "config": config}]}, allow_code=False)
    verify.refuse_code({"cells": [{"cell_key": "k", "model": "BPR", "config": config}]}, allow_code=True)


def published(companies=("incumbent",), metrics=("ndcg@10", "hit@10")) -> dict:
    out = {}
    for company in companies:
        for view in ("holdout", "company"):
            for group, n in (("all", 4), ("participants", 0), ("non_participants", 4)):
                out.update({f"{company}/{view}/{group}/{m}": (None if n == 0 else 0.5) for m in metrics})
                out[f"{company}/{view}/{group}/n_users"] = n
    return out


def test_published_metrics_by_hand():
    config = {"eval": {"ks": [10], "metrics": ["ndcg", "hit"]}}
    cell = {"companies": {"incumbent": "ok"}, "published": published()}
    assert verify.published_problems(cell, config) == []
    del cell["published"]["incumbent/company/participants/hit@10"]
    assert verify.published_problems(cell, config) == ["published: incumbent/company/participants lacks hit@10"]
    cell["published"] = published(metrics=("ndcg@10",))  # the config asks for hit@10 too
    assert verify.published_problems(cell, config) == ["published: incumbent/holdout/all lacks hit@10"]
    cell["published"] = dict(published(), **{"incumbent/holdout/all/mrr@10": 0.1})
    assert verify.published_problems(cell, config) == [
        "published: incumbent/holdout/all has mrr@10, which the cell's other groups have not"]
    cell["published"] = dict(published(), **{"incumbent/holdout/participants/ndcg@10": 0.2})
    assert verify.published_problems(cell, config) == [
        "published: incumbent/holdout/participants/ndcg@10 is 0.2 over 0 users (a value is null exactly when no user is)"]
    cell["published"] = dict(published(), **{"competitor/holdout/all/ndcg@10": 0.2})
    assert verify.published_problems(cell, config) == [
        "published: 'competitor/holdout/all/ndcg@10' is not company/view/group/metric of a company of the cell"]
    assert verify.published_problems({"companies": {"incumbent": "ok"}, "published": {}}, config) == [
        "published: incumbent/holdout/all lacks hit@10, n_users, ndcg@10"]
