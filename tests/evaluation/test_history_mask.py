"""eval.mask: what is never ranked for a user (docs/evaluation.md, docs/design.md rule 4).

``user`` (default) masks each user's true train + valid history; ``company`` masks only what the
company holds for them. Numbers worked out by hand on a four-user dataset, and Pop's invariance
on ML-100K.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from strikebench.errors import ConfigError
from strikebench.evaluation.evaluator import EvalContext
from strikebench.evaluation.ranking import company_scores, ranking_keys, top_k
from strikebench.results import store
from tests.conftest import write_atomic

# Time-ordered leave-one-out (split=sequential): per user, the last row is the test, the one
# before it the validation, the rest train. With u1 on strike the company trains on
# i1 x3 (u2, u3, u4), i2 x2 (u2, u3), i3 x1 (u4); i4 and i5 are in no training row.
ROWS = [("u1", "i1", 5, 1), ("u1", "i2", 5, 2), ("u1", "i3", 5, 3),
        ("u2", "i1", 5, 1), ("u2", "i2", 5, 2), ("u2", "i5", 5, 3), ("u2", "i4", 5, 4),
        ("u3", "i1", 5, 1), ("u3", "i2", 5, 2), ("u3", "i5", 5, 3), ("u3", "i3", 5, 4),
        ("u4", "i1", 5, 1), ("u4", "i3", 5, 2), ("u4", "i5", 5, 3), ("u4", "i2", 5, 4)]


def dataset_overrides(data_root, name="handmask") -> list[str]:
    """The overrides of a manual dataset of one inter file in ``<data_root>/<name>/``."""
    return [f"dataset.name={name}", "dataset.source=manual", "dataset.instructions=by hand",
            "~dataset.recbole.load_col.user", "~dataset.recbole.load_col.item", f"data_root={data_root}"]


def hand_dataset(tmp_path, rows=ROWS, name="handmask") -> list[str]:
    """Write ``rows`` as a manual dataset under ``tmp_path / data``; its overrides."""
    write_atomic(tmp_path / "data", name, rows)
    return dataset_overrides(tmp_path / "data", name)


def run_pop(compose_cfg, tmp_path, *overrides):
    from strikebench.app.cell import run_cell

    cfg = compose_cfg(["model=pop", "trainer=tiny", "split=sequential", "eval.ks=[1,3]",
                       *hand_dataset(tmp_path), *overrides])
    outcome = run_cell(cfg, log=lambda m: None)
    return outcome, store.read_per_user(outcome.path).set_index("user")


def test_a_striker_is_never_shown_what_they_consumed_under_the_user_mask(compose_cfg, tmp_path):
    # seed 1 draws u1 (1 of 4 users at p = 0.25). u1 struck: the company holds nothing of them
    # and shows its popularity ranking i1, i2, i3. u1 consumed i1 (train) and i2 (valid);
    # their test item is i3.
    user, user_table = run_pop(compose_cfg, tmp_path, "strike.participation=0.25", "seed=1")
    company, company_table = run_pop(compose_cfg, tmp_path, "strike.participation=0.25", "seed=1", "eval.mask=company")
    assert user.record["participants"]["users"] == company.record["participants"]["users"] == ["u1"]
    # mask=company: i1 and i2 are shown again and count as misses; i3 comes third.
    assert company_table.loc["u1", "hit@1"] == 0.0
    assert company_table.loc["u1", "ndcg@3"] == pytest.approx(1 / math.log2(4))
    # mask=user (default): i1 and i2 are never ranked, so i3 comes first.
    assert user_table.loc["u1", "hit@1"] == 1.0 and user_table.loc["u1", "ndcg@3"] == pytest.approx(1.0)
    # Non-participants: the company holds their whole history, so both masks agree.
    # u2 (i1, i2, i5 masked): i3, then i4 (unknown: after every known item) -> rank 2.
    for table in (user_table, company_table):
        assert table.loc["u2", "ndcg@3"] == pytest.approx(1 / math.log2(3))
        assert table.loc["u3", "ndcg@3"] == table.loc["u4", "ndcg@3"] == 1.0
    # Every record and the results table say which mask was used, and the two are two studies.
    assert user.record["config"]["eval"]["mask"] == "user" and user.record["study"]["evaluation"]["mask"] == "user"
    assert company.record["study"]["evaluation"]["mask"] == "company"
    assert user.record["study"]["id"] != company.record["study"]["id"]


def recommended(ctx: EvalContext, users: list[int], k: int) -> list[list[int]]:
    index = torch.tensor(users)
    scores, _ = company_scores(lambda u: torch.zeros(len(u), 6), index, ctx.popularity, ctx.has_training_data)
    return top_k(ranking_keys(scores, ctx.history.dense(index), ctx.popularity > 0), k).tolist()


def test_the_user_mask_adds_the_true_history_but_keeps_the_companys_popularity():
    # Rows: user 1 consumed items 1 and 2 (rows 0, 1) and struck; user 2 holds items 1, 1, 3, 2.
    data = SimpleNamespace(n_users=3, n_items=6, user=np.array([1, 1, 2, 2, 2, 2]), item=np.array([1, 2, 1, 4, 3, 4]))
    company_rows = np.array([2, 3, 4, 5])  # what the company holds: user 2 only
    true_history = (data.user[[0, 1]], data.item[[0, 1]])
    test = (np.array([1, 2]), np.array([5, 5]))
    by_company = EvalContext.for_company(data, company_rows, test, ks=[3])
    by_user = EvalContext.for_company(data, company_rows, test, ks=[3], also_masked=true_history)
    # The popularity user 1 falls back to is the company's own: item 4 x2, items 1 and 3 x1.
    assert by_user.popularity.tolist() == by_company.popularity.tolist() == [0, 1, 0, 1, 2, 0]
    # User 1 falls back to it: item 4, then items 1 and 3 (tied: by index), then unknown item 5.
    assert recommended(by_company, [1], 3) == [[4, 1, 3]]  # item 1, which user 1 consumed, is shown
    assert recommended(by_user, [1], 3) == [[4, 3, 5]]  # items 1 and 2 never
    # User 2 (the model scores every item 0): items 1, 3, 4 held and masked under both masks;
    # items 2 and 5 are in no training row, so unknown, and follow by index.
    assert recommended(by_user, [2], 2) == recommended(by_company, [2], 2) == [[2, 5]]


def test_an_unknown_mask_is_refused_naming_the_field(compose_cfg):
    from strikebench.app.validate import validate

    with pytest.raises(ConfigError, match=r"eval\.mask.*'everything'.*user, company"):
        validate(compose_cfg(["eval.mask=everything"]))


@pytest.mark.slow
def test_pop_is_invariant_under_the_user_mask_on_ml100k(compose_cfg, ml100k):
    """Pop personalises nothing: under the user mask a strike moves its all-user NDCG@10 only
    through the company's popularity counts (within 3%); under the company mask it falls."""
    from strikebench.app.cell import run_cell

    def ndcg(*overrides):
        cfg = compose_cfg(["model=pop", "trainer=tiny", *overrides])
        return run_cell(cfg, log=lambda m: None).record["companies"]["incumbent"]["metrics"]["holdout"]["all"]["ndcg@10"]

    full = ndcg("strike.participation=0")
    assert ndcg("strike.participation=0", "eval.mask=company") == full  # nothing struck: nothing differs
    assert abs(ndcg("strike.participation=0.3") / full - 1) < 0.03
    assert ndcg("strike.participation=0.3", "eval.mask=company") / full - 1 < -0.05
