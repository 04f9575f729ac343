"""The fast path's negative sampler draws what RecBole's train sampler draws.

RecBole's uniform train sampler (recbole/sampler/sampler.py, ``Sampler`` in phase "train") draws
from items 1..n_items-1 and redraws any item the user holds in the training data, so a negative
is uniform over the items the user did not train on. Checked here:

- exclusion, exhaustively: on a small dataset where users hold up to ~90% of the items, no
  draw is ever a training item of its user, the padding item, or out of range, and every
  allowed item is drawn;
- the excluded set is RecBole's own (its Sampler's ``used_ids`` for the train phase);
- uniformity, statistically: a chi-square goodness-of-fit test against "uniform over each
  user's allowed items", pooled over users. With a correct sampler the p-value is uniform on
  [0, 1], so a fixed seed makes the test deterministic and it would fail for about 1 in 1000
  seeds; a biased sampler gives p near 0 (the last test shows the check has that power);
- the batches have RecBole's fields and layout, and every epoch visits every training row once.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from strikebench.training.fast import FastTrainLoader, UniformNegativeSampler
from tests.helpers.run_if import RunIf

METHODS = ("rank", "rejection")
P_MIN = 1e-3  # chi-square p-value floor
# The CUDA path runs where a GPU is present (it never ran where these tests were written).
DEVICES = ["cpu", pytest.param("cuda", marks=RunIf(min_gpus=1))]


def dense_data(n_users=40, n_items=16, seed=0):
    """Users holding 1 to 14 of the 15 real items (item 0 is padding), shuffled row order."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(n_users):
        held = rng.choice(np.arange(1, n_items), size=int(rng.integers(1, n_items - 1)), replace=False)
        users += [u] * len(held)
        items += list(held)
    order = rng.permutation(len(users))
    return np.array(users)[order], np.array(items)[order], n_users, n_items


def held_sets(users, items, n_users):
    sets = [set() for _ in range(n_users)]
    for u, i in zip(users, items):
        sets[u].add(int(i))
    return sets


def draws(sampler, n_users, per_user, method, seed=0):
    query = torch.arange(n_users, device=sampler.device).repeat_interleave(per_user)
    generator = torch.Generator(device=sampler.device).manual_seed(seed)
    return query.cpu().numpy(), sampler.sample(query, 1, generator, method).view(-1).cpu().numpy()


def pooled_chisquare(query, negatives, held, n_users, n_items, per_user):
    """One chi-square over every (user, allowed item) cell; dof = sum over users of (allowed - 1)."""
    observed, expected = [], []
    for u in range(n_users):
        allowed = [i for i in range(1, n_items) if i not in held[u]]
        counts = np.bincount(negatives[query == u], minlength=n_items)[allowed]
        observed.append(counts)
        expected.append(np.full(len(allowed), per_user / len(allowed)))
    return chisquare(np.concatenate(observed), np.concatenate(expected), ddof=n_users - 1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
def test_no_training_item_is_ever_drawn(method, device):
    users, items, n_users, n_items = dense_data()
    held = held_sets(users, items, n_users)
    sampler = UniformNegativeSampler(users, items, n_users, n_items, device)
    query, negatives = draws(sampler, n_users, 2000, method)
    assert negatives.min() >= 1 and negatives.max() < n_items
    for u in range(n_users):
        drawn = set(negatives[query == u].tolist())
        allowed = set(range(1, n_items)) - held[u]
        assert drawn == allowed, f"user {u}: drew {sorted(drawn - allowed)} it holds, or missed some allowed items"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
def test_draws_are_uniform_over_allowed_items(method, device):
    users, items, n_users, n_items = dense_data()
    held = held_sets(users, items, n_users)
    per_user = 3000
    sampler = UniformNegativeSampler(users, items, n_users, n_items, device)
    query, negatives = draws(sampler, n_users, per_user, method, seed=7)
    result = pooled_chisquare(query, negatives, held, n_users, n_items, per_user)
    assert result.pvalue > P_MIN, f"chi-square {result.statistic:.1f}, p={result.pvalue:.2g}: not uniform"


def test_chisquare_check_catches_a_biased_sampler():
    """Redrawing a held item as "the next free item above it" favours items after held runs."""
    users, items, n_users, n_items = dense_data()
    held = held_sets(users, items, n_users)
    sampler = UniformNegativeSampler(users, items, n_users, n_items)
    per_user = 3000
    query = np.repeat(np.arange(n_users), per_user)
    rng = np.random.default_rng(7)
    negatives = rng.integers(1, n_items, len(query))
    for j in np.flatnonzero(sampler.contains(torch.as_tensor(query), torch.as_tensor(negatives)).numpy()):
        candidate = negatives[j]
        while candidate in held[query[j]] or candidate == 0:
            candidate = candidate % (n_items - 1) + 1
        negatives[j] = candidate
    assert pooled_chisquare(query, negatives, held, n_users, n_items, per_user).pvalue < 1e-12


def test_excluded_items_are_recboles_train_phase_items(tiny_data):
    """The items a user may not draw are exactly those in RecBole's train-phase ``used_ids``."""
    from strikebench import compat
    from strikebench.data.split import make_split
    from strikebench.training.loaders import train_loader
    from tests.conftest import TINY_SETTINGS

    data = tiny_data
    split = make_split(data.user, data.timestamp, {"seed": 1, "order": "RO", "mode": "RS", "ratios": [0.6, 0.2, 0.2]})
    config = compat.recbole_config("BPR", "tiny", dict(TINY_SETTINGS, show_progress=False, worker=0))
    _, loader = train_loader(config, data, split.train, split.valid, split.test)
    used = loader._sampler.used_ids
    sampler = UniformNegativeSampler(data.user[split.train], data.item[split.train], data.n_users, data.n_items)
    query, negatives = draws(sampler, data.n_users, 500, "rank")
    for u in range(1, data.n_users):
        allowed = set(range(1, data.n_items)) - set(used[u])
        assert set(negatives[query == u].tolist()) == allowed


def test_a_user_holding_every_item_is_refused():
    users = np.array([0, 0, 0, 1])
    items = np.array([1, 2, 3, 1])
    with pytest.raises(ValueError, match="every item"):
        UniformNegativeSampler(users, items, n_users=2, n_items=4)


@pytest.mark.parametrize("device", DEVICES)
def test_pairwise_batches_have_recboles_layout(device):
    """k negatives per positive: each positive tiled k times, its j-th negative at row j * B + i."""
    users, items, n_users, n_items = dense_data()
    loader = FastTrainLoader(users, items, n_users, n_items, batch_size=60, mode="pairwise", num_neg=3, seed=1,
                             device=device)
    held = held_sets(users, items, n_users)
    seen = []
    for batch in loader:
        assert set(batch.interaction) == {"user_id", "item_id", "neg_item_id"}
        assert all(v.device.type == device for v in batch.interaction.values())
        batch = batch.to("cpu")
        b = len(batch) // 3
        u, i, n = batch["user_id"].view(3, b), batch["item_id"].view(3, b), batch["neg_item_id"].view(3, b)
        assert (u == u[0]).all() and (i == i[0]).all()
        assert all(int(neg) not in held[int(user)] for user, neg in zip(u.flatten(), n.flatten()))
        seen += list(zip(u[0].tolist(), i[0].tolist()))
    assert b <= 20 and len(loader) == -(-len(users) // 20)  # 60 rows // 3 negatives = 20 positives a batch
    assert sorted(seen) == sorted(zip(users.tolist(), items.tolist()))  # every row once an epoch


def test_pointwise_batches_have_recboles_layout():
    users, items, n_users, n_items = dense_data()
    loader = FastTrainLoader(users, items, n_users, n_items, batch_size=30, mode="pointwise", num_neg=2, seed=1)
    batch = next(iter(loader))
    assert len(batch) == 30
    assert batch["label"].tolist() == [1.0] * 10 + [0.0] * 20
    assert (batch["user_id"].view(3, 10) == batch["user_id"][:10]).all()


def test_user_batches_visit_every_user_once():
    """RecBole's UserDataLoader (MultiVAE, MultiDAE, RecVAE...): ids 0..n_users-1, padding included."""
    users, items, n_users, n_items = dense_data()
    loader = FastTrainLoader(users, items, n_users, n_items, batch_size=16, mode="users", seed=3)
    ids = torch.cat([batch["user_id"] for batch in loader])
    assert sorted(ids.tolist()) == list(range(n_users))


def test_same_seed_same_epochs():
    users, items, n_users, n_items = dense_data()

    def epochs(seed):
        loader = FastTrainLoader(users, items, n_users, n_items, batch_size=64, mode="pairwise", seed=seed)
        return [torch.cat([b["neg_item_id"] for b in loader]) for _ in range(2)]

    first, again, other = epochs(5), epochs(5), epochs(6)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], first[1]) and not torch.equal(first[0], other[0])
