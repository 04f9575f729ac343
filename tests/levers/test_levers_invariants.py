"""Property-based tests of every lever's invariants (docs/design.md rules 2 and 3), without RecBole.

Each example is a tiny dataset built with numpy: users 1..n, items 1..m (0 is RecBole's padding
id), every row in exactly one of train / valid / test. Participants are drawn exactly as in a
cell, and the levers are called on a state that holds those arrays.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from strikebench.data.split import FixedSplit
from strikebench.errors import DataError
from strikebench.levers import streams
from strikebench.levers.compose import Compose
from strikebench.levers.participants import draw_participants
from strikebench.levers.partial_strike import PartialStrike
from strikebench.levers.poison import Poison, nth_allowed
from strikebench.levers.replay import replay
from strikebench.levers.rows import share_per_user
from strikebench.levers.state import initial_state
from strikebench.levers.strike import Strike
from strikebench.levers.temporal_strike import TemporalStrike
from strikebench.levers.transfer import Competitor, Transfer, base_users
from strikebench.results.assemble import lever_rows_table

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shares = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0])


@dataclass
class Tiny:
    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    n_items: int  # including the padding id 0
    split: FixedSplit
    in_category: np.ndarray  # bool per item: a made-up genre
    name: str = "tiny"

    @property
    def item_features(self) -> pd.DataFrame:
        """The made-up genre as an item feature: ``genre`` is ``g`` for the items in it."""
        return pd.DataFrame({"genre": np.where(self.in_category, "g", "other")}, index=np.arange(self.n_items))

    def start(self, participants):
        return initial_state(self, self.split, participants)

    def rows_of(self, users) -> set[int]:
        return set(np.flatnonzero(np.isin(self.user, list(users))).tolist())

    def items_of(self, u) -> set[int]:
        return set(self.item[self.user == u].tolist())


@st.composite
def tiny_data(draw) -> Tiny:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_users = draw(st.integers(1, 8))
    n_items = draw(st.integers(3, 14))  # item ids 1..n_items-1
    users, items = [], []
    for u in range(1, n_users + 1):
        k = int(rng.integers(1, n_items - 1))  # at most n_items - 2: every user misses an item
        users += [u] * k
        items += rng.choice(np.arange(1, n_items), size=k, replace=False).tolist()
    order = rng.permutation(len(users))
    user, item = np.asarray(users)[order], np.asarray(items)[order]
    part = rng.integers(0, 3, size=len(user))  # 0 train, 1 valid, 2 test
    split = FixedSplit(train=np.flatnonzero(part == 0), valid=np.flatnonzero(part == 1), test=np.flatnonzero(part == 2))
    in_category = rng.random(n_items) < 0.5
    in_category[0] = False
    return Tiny(user, item, rng.integers(0, 100, size=len(user)).astype(float), n_items, split, in_category)


def participants_of(data: Tiny, p: float, seed: int):
    return draw_participants(data.split.eligible_users(data.user), p, seed, "all users")


def rows_by_user(rows, user) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(int(user[r]), set()).add(int(r))
    return out


def assert_untouched_outside(data: Tiny, before, after, participants) -> None:
    """Non-participants' rows are the same, and the fixed test set is untouched."""
    others = data.rows_of(set(range(1, data.user.max() + 1)) - set(participants.users.tolist()))
    for part in ("train", "valid"):
        b, a = set(getattr(before, part).tolist()), set(getattr(after, part).tolist())
        assert b & others == a & others
    assert set(after.rewritten_rows.tolist()).isdisjoint(others)


@SETTINGS
@given(tiny_data(), shares, st.integers(0, 5))
def test_strike_removes_only_and_all_participants_training_side(data, p, seed):
    participants = participants_of(data, p, seed)
    state = Strike()(data.start(participants))
    before, after = data.start(participants).companies["incumbent"], state.companies["incumbent"]
    assert_untouched_outside(data, before, after, participants)
    mine = data.rows_of(participants.users)
    removed = set(before.rows().tolist()) - set(after.rows().tolist())
    assert removed == mine & set(before.rows().tolist())
    assert state.split.test is data.split.test


@SETTINGS
@given(tiny_data(), shares, shares, st.integers(0, 5), st.booleans())
def test_partial_strike_removes_a_share_of_each_participants_rows(data, p, r, seed, category):
    if category and not data.in_category.any():  # no item has the genre: a ConfigError, not this property
        category = False
    participants = participants_of(data, p, seed)
    lever = PartialStrike(r, field="genre" if category else None, value="g" if category else None)
    start = data.start(participants)
    after = lever(start).companies["incumbent"]
    before = start.companies["incumbent"]
    assert_untouched_outside(data, before, after, participants)
    removed = set(before.rows().tolist()) - set(after.rows().tolist())
    assert removed <= data.rows_of(participants.users)
    candidates = [row for row in before.rows() if data.user[row] in set(participants.users.tolist())
                  and (not category or data.in_category[data.item[row]])]
    for u, rows in rows_by_user(candidates, data.user).items():
        gone = rows & removed
        assert len(gone) == int(np.floor(r * len(rows) + 0.5))  # round half up, per participant
    if category:
        assert all(data.in_category[data.item[row]] for row in removed)


@SETTINGS
@given(tiny_data(), st.integers(0, 5))
def test_partial_strike_is_nested_across_shares_and_participation(data, seed):
    rows = data.split.train
    previous = set()
    for r in (0.0, 0.2, 0.5, 0.8, 1.0):
        chosen = set(share_per_user(rows, data.user, r, seed, streams.PARTIAL_STRIKE).tolist())
        assert previous <= chosen
        previous = chosen
    # a participant deletes the same rows whoever else takes part
    removed = []
    for p in (0.25, 0.5, 1.0):
        participants = participants_of(data, p, seed)
        start = data.start(participants)
        after = PartialStrike(0.5)(start).companies["incumbent"]
        removed.append(set(start.companies["incumbent"].rows().tolist()) - set(after.rows().tolist()))
    assert removed[0] <= removed[1] <= removed[2]


@SETTINGS
@given(tiny_data(), shares, st.integers(0, 5), st.integers(-1, 101))
def test_temporal_strike_removes_participants_rows_after_t(data, p, seed, after_t):
    assume(data.timestamp.min() <= after_t < data.timestamp.max())  # outside it is refused (test_bad_input_campaign)
    participants = participants_of(data, p, seed)
    start = data.start(participants)
    after = TemporalStrike(after_t)(start).companies["incumbent"]
    before = start.companies["incumbent"]
    assert_untouched_outside(data, before, after, participants)
    removed = set(before.rows().tolist()) - set(after.rows().tolist())
    expected = {r for r in before.rows().tolist()
                if data.user[r] in set(participants.users.tolist()) and data.timestamp[r] > after_t}
    assert removed == expected


@SETTINGS
@given(tiny_data(), shares, shares, st.integers(0, 5), st.booleans())
def test_poisoning_conserves_counts_and_never_uses_an_item_the_user_has(data, p, r, seed, category):
    if category and not data.in_category.any():
        category = False
    participants = participants_of(data, p, seed)
    lever = Poison(share=r, target="category" if category else "random",
                   field="genre" if category else None, value="g" if category else None)
    start = data.start(participants)
    try:
        state = lever(start)
    except DataError as exc:  # a participant who already has every item of the category
        assert category and "already has every item" in str(exc)
        return
    before, after = start.companies["incumbent"], state.companies["incumbent"]
    assert after.train.tolist() == before.train.tolist() and after.valid.tolist() == before.valid.tolist()
    assert_untouched_outside(data, before, after, participants)
    assert set(after.rewritten_rows.tolist()) <= data.rows_of(participants.users)
    new = after.items(data.item, after.rewritten_rows)
    for row, item in zip(after.rewritten_rows.tolist(), new.tolist()):
        u = data.user[row]
        assert item not in data.items_of(u)  # not in train, valid or test
        assert 1 <= item < data.n_items
        if category:
            assert data.in_category[item]
    for u, rows in rows_by_user(after.rewritten_rows, data.user).items():
        pool = int(data.in_category.sum()) if category else data.n_items - 1
        free = pool - len(data.items_of(u) & (set(np.flatnonzero(data.in_category)) if category else set(range(1, data.n_items))))
        got = [int(i) for row, i in zip(after.rewritten_rows, new) if row in rows]
        assert len(set(got)) == min(len(got), free)  # distinct while the pool allows
    # what the company holds per user is still as many interactions, and the test set is the same
    assert np.bincount(data.user[after.rows()]).tolist() == np.bincount(data.user[before.rows()]).tolist()
    assert state.split.test is data.split.test


@SETTINGS
@given(tiny_data(), shares, st.sampled_from([0.0, 0.3, 1.0]), st.integers(0, 5))
def test_transfer_plus_strike_moves_exactly_what_the_incumbent_loses(data, p, base, seed):
    participants = participants_of(data, p, seed)
    start = data.start(participants)
    state = Compose([Competitor(base), Transfer(), Strike()])(start)
    incumbent, competitor = state.companies["incumbent"], state.companies["competitor"]
    lost_train = set(data.split.train.tolist()) - set(incumbent.train.tolist())
    lost_valid = set(data.split.valid.tolist()) - set(incumbent.valid.tolist())
    base_rows = data.rows_of(base_users(data.split.eligible_users(data.user), base, seed))
    assert set(competitor.train.tolist()) == lost_train | (base_rows & set(data.split.train.tolist()))
    assert set(competitor.valid.tolist()) == lost_valid | (base_rows & set(data.split.valid.tolist()))
    assert lost_train | lost_valid == data.rows_of(participants.users) - set(data.split.test.tolist())
    assert_untouched_outside(data, start.companies["incumbent"], incumbent, participants)
    # transfer only: the incumbent keeps everything
    kept = Compose([Competitor(base), Transfer()])(start).companies["incumbent"]
    assert kept.train.tolist() == data.split.train.tolist() and kept.valid.tolist() == data.split.valid.tolist()
    # nothing of the test set moves
    assert set(competitor.rows().tolist()).isdisjoint(data.split.test.tolist())


@SETTINGS
@given(tiny_data(), st.integers(0, 5))
def test_participants_and_base_users_are_nested_across_levels(data, seed):
    eligible = data.split.eligible_users(data.user)
    previous_p, previous_b = set(), set()
    for level in (0.0, 0.1, 0.3, 0.5, 1.0):
        now_p = set(participants_of(data, level, seed).users.tolist())
        now_b = set(base_users(eligible, level, seed).tolist())
        assert previous_p <= now_p and previous_b <= now_b
        previous_p, previous_b = now_p, now_b


@SETTINGS
@given(tiny_data(), shares, st.integers(0, 5))
def test_lever_rows_replay_to_the_same_companies(data, p, seed):
    participants = participants_of(data, p, seed)
    levers = Compose([Competitor(0.3), PartialStrike(0.5), Poison(share=0.5), Transfer(), Strike()])
    state = levers(data.start(participants))
    fake = SimpleNamespace(user=data.user, item=data.item,
                           user_tokens=np.array([f"u{i}" for i in range(data.user.max() + 1)]),
                           item_tokens=np.array([f"i{i}" for i in range(data.n_items)]))
    table = lever_rows_table(state, fake)
    ids = {f"i{i}": i for i in range(data.n_items)}
    buffer = io.BytesIO()  # through Parquet, as a reviewer reads lever_rows.parquet
    table.to_parquet(buffer, index=False)
    rebuilt = replay(data.split.train, data.split.valid, pd.read_parquet(io.BytesIO(buffer.getvalue())), ids)
    for name, view in state.companies.items():
        if not len(view.rows()) and name not in rebuilt:
            continue
        again = rebuilt[name]
        assert again.train.tolist() == view.train.tolist() and again.valid.tolist() == view.valid.tolist()
        assert again.rewritten_rows.tolist() == view.rewritten_rows.tolist()
        assert again.new_items.tolist() == view.new_items.tolist()
    # the record's counts are the table's
    counts = state.counts_by_company()
    for (company, change, part), n in table.groupby(["company", "change", "part"]).size().items():
        assert counts[company][f"{change}_{part}"] == n


@given(st.lists(st.integers(0, 30), unique=True).map(sorted), st.integers(0, 20))
@SETTINGS
def test_nth_allowed_skips_the_excluded_positions(excluded, j):
    allowed = [i for i in range(60) if i not in set(excluded)]
    assert int(nth_allowed(np.asarray(excluded, dtype=np.int64), np.asarray([j]))[0]) == allowed[j]
