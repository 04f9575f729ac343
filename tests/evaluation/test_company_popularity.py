"""The evaluator sees the company's data: after a strike, the popularity that users without training
data fall back to, and which items count as known ("unknown items rank last"), come from the
company's own training rows, never from the full data (docs/design.md rule 4).

A hand-built cell (Pop, split=sequential: per user the last row is the test, the one before it
the validation, the rest train) in which only participants make an item popular. Seed 0 at
p = 0.5 draws 4 of the 7 users (internal ids 3, 4, 5, 7): p1, p2, p3, p4.

    user  train    valid  test   on strike
    n1    a, b     c      e      no
    n2    a        b      c      no
    p1    pp       q      a      yes
    p2    pp       q      a      yes
    p3    pp       q      b      yes
    n3    c        a      b      no
    p4    c        d      a      yes (never consumed pp)

The company trains on n1, n2 and n3's train rows: a x2, b x1, c x1; pp, q, d and e are unknown
to it. The full data's train rows would add pp x3 and c x1: pp would be the most popular item.
Item ids follow first appearance: a, b, c, e, pp, q, d = 1..7.
"""
from __future__ import annotations

import math

import pytest

from strikebench.app import cell
from strikebench.results import store
from tests.evaluation.test_history_mask import dataset_overrides
from tests.conftest import write_atomic

USERS = {  # user -> items in time order: train..., valid, test
    "n1": ["a", "b", "c", "e"], "n2": ["a", "b", "c"], "p1": ["pp", "q", "a"], "p2": ["pp", "q", "a"],
    "p3": ["pp", "q", "b"], "n3": ["c", "a", "b"], "p4": ["c", "d", "a"],
}
ROWS = [(user, item, 5, t) for user, items in USERS.items() for t, item in enumerate(items, start=1)]


@pytest.fixture
def struck_cell(compose_cfg, tmp_path, monkeypatch):
    """Run the cell; (its record, per-user table by user token, the EvalContext the evaluator got, data)."""
    write_atomic(tmp_path / "data", "onlyparticipants", ROWS)
    seen = {}
    real_evaluate = cell.evaluate

    def spy(score_fn, ctx, batch_size=1024):
        seen["ctx"] = ctx
        return real_evaluate(score_fn, ctx, batch_size=batch_size)

    monkeypatch.setattr(cell, "evaluate", spy)
    cfg = compose_cfg(["model=pop", "trainer=tiny", "split=sequential", "eval.ks=[1,3]", "seed=0",
                       "strike.participation=0.5", *dataset_overrides(tmp_path / "data", "onlyparticipants")])
    outcome = cell.run_cell(cfg, log=lambda m: None)
    data, _, _, _ = cell.preflight(cfg)
    return outcome.record, store.read_per_user(outcome.path).set_index("user"), seen["ctx"], data


def test_the_participants_fallback_and_the_known_items_are_the_companys(struck_cell):
    record, table, ctx, data = struck_cell
    assert sorted(record["participants"]["users"]) == ["p1", "p2", "p3", "p4"]
    assert list(data.item_tokens[1:]) == ["a", "b", "c", "e", "pp", "q", "d"]
    # The popularity handed to the evaluator: counts in the company's training rows only.
    popularity = dict(zip(data.item_tokens[1:], ctx.popularity[1:].tolist()))
    assert popularity == {"a": 2, "b": 1, "c": 1, "e": 0, "pp": 0, "q": 0, "d": 0}
    # Participants hold no training data at the company: all four fall back to that popularity.
    assert table.loc[["p1", "p2", "p3", "p4"], "in_company"].eq(False).all()
    assert table.loc[["n1", "n2", "n3"], "in_company"].all()

    # p4 never consumed pp (masked: c, d): a first, so the hit is at rank 1. With the full data's
    # popularity pp (x3) would come first.
    assert table.loc["p4", "hit@1"] == 1.0 and table.loc["p4", "ndcg@1"] == 1.0
    # p3 (masked: pp, q) ranks a, b, c: its test item b is second. With the full data's counts
    # (a x2, c x2, b x1) b would be third.
    assert table.loc["p3", "hit@1"] == 0.0 and table.loc["p3", "ndcg@3"] == pytest.approx(1 / math.log2(3))
    assert table.loc["p1", "hit@1"] == table.loc["p2", "hit@1"] == 1.0  # a, their test item, comes first

    # n1 (Pop's scores; masked: a, b, c, every item the company knows): what is left is unknown
    # and follows by index, e (4) before pp (5). Were pp known from the full data, Pop's score 0
    # would put it above every unknown item.
    assert table.loc["n1", "hit@1"] == 1.0
    assert table.loc["n2", "hit@1"] == table.loc["n3", "hit@1"] == 1.0  # c, then b: the only known items left

    participants = record["companies"]["incumbent"]["metrics"]["holdout"]["participants"]
    assert participants["n_users"] == 4 and participants["hit@1"] == pytest.approx(3 / 4)
