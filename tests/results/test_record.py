"""The typed cell record: JSON in and out, and the one walk every reader of the metrics uses."""
from __future__ import annotations

import copy
import math

import pytest

from strikebench.app.hydra_app import headline
from strikebench.reporting.manifest import cell_entry
from strikebench.results.record import CellRecord, GroupMetrics, MetricRow
from strikebench.results.table import records_to_table
from strikebench.tracking.wandb_record import run_summary


def _groups(all_, participants, non_participants):
    """view -> group -> {metric values, n_users}, from (ndcg, n_users) per group."""
    def entry(ndcg, n):
        return {"ndcg@10": ndcg, "n_users": n}

    return {"all": entry(*all_), "participants": entry(*participants), "non_participants": entry(*non_participants)}


def hand_record() -> dict:
    """A record.json as a cell writes it, p = 0: the participants group is empty everywhere,
    and the competitor holds no data (not applicable)."""
    return {
        "schema_version": 1,
        "cell_key": "abc123",
        "created_at": "2026-01-01T00:00:00+0000",
        "config": {"seed": 0, "model": {"name": "Pop", "family": "non-personalised"},
                   "strike": {"participation": 0.0, "lever": {"name": "transfer"}, "selector": {"name": "random"}}},
        "dataset": {"name": "tiny", "n_users": 4, "n_items": 5, "n_interactions": 20,
                    "split": {"train": 16, "valid": 2, "test": 2}},
        "participants": {"group": None, "group_size": 4, "participation": 0.0, "count": 0, "seed": 0, "users": []},
        "levers": [],
        "changes_by_company": {},
        "lever_rows": {"file": None, "rows": 0},
        "companies": {
            "incumbent": {
                "status": "ok", "train_interactions": 16, "valid_interactions": 2, "users_with_training_data": 4,
                "rewritten_interactions": 0,
                "training": {"epochs": 1, "best_epoch": None, "best_valid": None, "monitor": "ndcg@10"},
                "metrics": {"holdout": _groups((0.25, 2), (None, 0), (0.25, 2)),
                            "company": _groups((0.5, 1), (None, 0), (0.5, 1))},
            },
            "competitor": {
                "status": "not_applicable", "reason": "the company holds no training data in this cell",
                "train_interactions": 0, "valid_interactions": 0, "users_with_training_data": 0,
                "rewritten_interactions": 0, "training": None,
                "metrics": {"holdout": _groups((None, 0), (None, 0), (None, 0)),
                            "company": _groups((None, 0), (None, 0), (None, 0))},
            },
        },
        "timings": {"total": 1.5},
        "versions": {"python": "3.11"},
    }


def test_json_round_trip_keeps_every_key_and_unknown_ones():
    stored = hand_record()
    stored["study"] = {"fingerprint": "f00"}  # a key written by a newer strikebench
    record = CellRecord.from_json(copy.deepcopy(stored))
    assert record.to_json() == stored
    assert record.companies["competitor"].applicable is False
    assert record.companies["incumbent"].metrics["holdout"]["participants"] == GroupMetrics(0, {"ndcg@10": None})


def test_an_old_record_without_later_fields_loads():
    old = hand_record()
    for key in ("changes_by_company", "lever_rows"):
        del old[key]
    del old["companies"]["competitor"]
    for key in ("status", "rewritten_interactions"):
        del old["companies"]["incumbent"][key]
    record = CellRecord.from_json(old)
    assert record.companies["incumbent"].status == "ok" and record.lever_rows is None
    written = record.to_json()
    assert "lever_rows" not in written and "rewritten_interactions" not in written["companies"]["incumbent"]


def test_the_walk_yields_every_value_with_its_group_size():
    rows = list(CellRecord.from_json(hand_record()).metric_rows())
    assert len(rows) == 2 * 2 * 3  # companies x views x groups, one metric each
    assert rows[:3] == [MetricRow("incumbent", "holdout", "all", "ndcg@10", 0.25, 2),
                        MetricRow("incumbent", "holdout", "participants", "ndcg@10", None, 0),
                        MetricRow("incumbent", "holdout", "non_participants", "ndcg@10", 0.25, 2)]
    applicable = list(CellRecord.from_json(hand_record()).metric_rows(applicable_only=True))
    assert {r.company for r in applicable} == {"incumbent"} and len(applicable) == 6


def test_a_group_with_no_users_cannot_carry_a_value():
    with pytest.raises(ValueError, match="no users"):
        GroupMetrics(0, {"ndcg@10": 0.1})


def test_every_reader_shows_an_empty_group_as_none_with_zero_users():
    record = CellRecord.from_json(hand_record())
    # the results table: NaN value, n_users 0; the company that trained nothing has no rows
    table = records_to_table([hand_record()])
    empty = table[(table["view"] == "holdout") & (table["group"] == "participants")]
    assert len(empty) == 1 and math.isnan(empty["value"].item()) and empty["n_users"].item() == 0
    assert set(table["company"]) == {"incumbent"} and len(table) == 6
    assert table.set_index(["view", "group"]).loc[("company", "all"), ["value", "n_users"]].tolist() == [0.5, 1]
    # the leaderboard manifest: None for the empty group and for the untrained company
    published = cell_entry(record, deterministic=True)["published"]
    assert published["incumbent/holdout/participants/ndcg@10"] is None
    assert published["incumbent/holdout/all/ndcg@10"] == 0.25
    assert published["competitor/company/all/ndcg@10"] is None and published["competitor/company/all/n_users"] == 0
    assert len(published) == 24  # 2 companies x 2 views x 3 groups, a value and its user count each
    # W&B: the value None and the group's size 0, beside every other group's
    summary = run_summary(record)
    assert summary["incumbent/holdout/participants/ndcg@10"] is None
    assert summary["incumbent/holdout/participants/n_users"] == 0
    assert summary["incumbent/company/all/n_users"] == 1 and summary["participants/count"] == 0
    # the command line's one-line summary
    assert headline(record, "ndcg@10") == "ndcg@10 all=0.2500, participants=n/a (0 users), non_participants=0.2500"


def test_a_real_cell_record_round_trips_and_reads_the_same_everywhere(compose_cfg, ml100k):
    from strikebench.app.cell import run_cell

    cfg = compose_cfg(["model=pop", "trainer=tiny", "strike/lever=transfer", "strike.participation=0"])
    stored = run_cell(cfg, log=lambda m: None).record
    record = CellRecord.from_json(stored)
    assert record.to_json() == stored
    holdout = stored["companies"]["incumbent"]["metrics"]["holdout"]
    assert holdout["participants"]["n_users"] == 0 and holdout["participants"]["ndcg@10"] is None
    assert run_summary(record)["incumbent/holdout/participants/ndcg@10"] is None
    assert cell_entry(record, deterministic=True)["published"]["incumbent/holdout/all/ndcg@10"] == holdout["all"]["ndcg@10"]
    assert "participants=n/a (0 users)" in headline(record, "ndcg@10")
