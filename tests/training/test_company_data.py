"""A company's copies of the shared data: company_dataset gives the Dataset RecBole's own row
indexing gives, and company_data points exactly the poisoned rows at their new items."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from strikebench.training.company_data import company_data, company_dataset


def recbole_company_dataset(data, rows):
    """RecBole's own way: ``Interaction.__getitem__`` with the rows (the old company_dataset)."""
    dataset = data.recbole_dataset
    return dataset.copy(dataset.inter_feat[torch.as_tensor(np.array(rows, dtype=np.int64))])


def assert_same_dataset(ours, theirs, base):
    assert type(ours) is type(theirs)
    assert len(ours.inter_feat) == len(theirs.inter_feat)
    assert list(ours.inter_feat.columns) == list(theirs.inter_feat.columns)
    for name in theirs.inter_feat.columns:
        a, b = ours.inter_feat[name], theirs.inter_feat[name]
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert torch.equal(a, b), name
        # A copy of the rows, as RecBole's indexing makes: the full dataset's column stays untouched.
        assert a.numel() == 0 or a.data_ptr() != base.inter_feat[name].data_ptr(), name
    assert ours.field2id_token is base.field2id_token  # same users, items and id maps
    assert base.inter_feat is not ours.inter_feat


def with_sequence_field(data):
    """``data`` with a 2-D (sequence-like) and a float 2-D column added, as RecBole's list fields are."""
    from recbole.data.interaction import Interaction

    base = data.recbole_dataset
    n = len(base.inter_feat)
    columns = dict(base.inter_feat.interaction)
    columns["item_list"] = torch.arange(n * 5, dtype=torch.long).reshape(n, 5)
    columns["vector"] = torch.rand(n, 3, generator=torch.Generator().manual_seed(0))
    return SimpleNamespace(recbole_dataset=base.copy(Interaction(columns)))


@pytest.mark.parametrize("pick", ["unsorted_subset", "all_reversed", "one", "none"])
def test_company_dataset_equals_recbole_indexing(tiny_data, pick):
    data = with_sequence_field(tiny_data)
    n = len(data.recbole_dataset.inter_feat)
    rows = {"unsorted_subset": np.random.default_rng(0).permutation(n)[: n // 3],
            "all_reversed": np.arange(n)[::-1],
            "one": np.array([n - 2]),
            "none": np.zeros(0, dtype=np.int64)}[pick]
    ours = company_dataset(data, rows)
    theirs = recbole_company_dataset(data, rows)
    assert ours.inter_feat["item_list"].shape == (len(rows), 5)
    assert_same_dataset(ours, theirs, data.recbole_dataset)
    # Row order is the order of ``rows``, not sorted.
    assert torch.equal(ours.inter_feat["item_list"][:, 0], torch.as_tensor(rows.copy(), dtype=torch.long) * 5)


def test_company_dataset_equals_recbole_indexing_on_ml100k(ml100k):
    data, split = ml100k
    rows = np.random.default_rng(1).permutation(np.concatenate([split.train, split.valid]))[: len(split.train)]
    assert_same_dataset(company_dataset(data, rows), recbole_company_dataset(data, rows),
                        data.recbole_dataset)


def test_company_data_rewrites_exactly_the_poisoned_rows(tiny_data):
    data = tiny_data
    assert company_data(data, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) is data  # no rewrites
    rows, new_items = np.array([3, 17, 42]), np.array([5, 1, 9])
    before = data.item.copy()
    held = company_data(data, rows, new_items)
    iid = data.recbole_dataset.iid_field
    expected = before.copy()
    expected[rows] = new_items
    assert held.item.tolist() == expected.tolist()
    assert held.recbole_dataset.inter_feat[iid].tolist() == expected.tolist()  # RecBole's table too
    assert held.user is data.user and len(held) == len(data)
    # The shared data is untouched, in the arrays and in RecBole's table.
    assert data.item.tolist() == before.tolist()
    assert data.recbole_dataset.inter_feat[iid].tolist() == before.tolist()
