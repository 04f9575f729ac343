"""compat._admmslim_no_noise: RecBole's ADMMSLIM scores without its random tie-breaking noise."""
from __future__ import annotations

import numpy as np
import torch

from strikebench import compat
from tests.conftest import TINY_SETTINGS


def test_admmslim_scores_are_the_model_scores_without_noise(tiny_data, tmp_path):
    from recbole.data.interaction import Interaction
    from recbole.model.general_recommender import admmslim

    from strikebench.training.models import build_model

    compat.apply()
    assert admmslim.add_noise(torch.zeros(3)).tolist() == [0.0, 0.0, 0.0]  # RecBole adds up to 1e-5
    settings = dict(TINY_SETTINGS, data_path=str(tmp_path / "data"), checkpoint_dir=str(tmp_path / "saved"),
                    show_progress=False, k=5)
    config = compat.recbole_config("ADMMSLIM", "tiny", settings)
    model = build_model("ADMMSLIM", config, tiny_data.recbole_dataset)
    users = torch.tensor([1, 2, 3])
    first = model.full_sort_predict(Interaction({"user_id": users}))
    torch.rand(100)  # moving the global generator must not change the scores
    second = model.full_sort_predict(Interaction({"user_id": users}))
    assert torch.equal(first, second)
    expected = (model.interaction_matrix[users.numpy(), :].toarray() @ model.item_similarity).flatten()
    np.testing.assert_array_equal(first.numpy(), expected)
    # Equal scores stay exactly equal, so strikebench's evaluator breaks the tie by item index.
    assert (first.view(3, -1)[:, 0] == first.view(3, -1)[0, 0]).all()  # the padding item scores 0 for all
