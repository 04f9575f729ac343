"""The scikit-learn shim in strikebench.compat: RecBole's imports of it are deferred to first use."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import torch

from strikebench import compat

# RecBole's AUC, MAE and RMSE on four scores, worked by hand:
# errors 0.1, 0.2, 0.6, 0.6 -> MAE 1.5 / 4 = 0.375; RMSE sqrt(0.77 / 4) = 0.438748...;
# positives score 0.9 and 0.4, negatives 0.2 and 0.6: 3 of the 4 pairs ordered -> AUC 0.75.
_METRICS_ON_FIRST_USE = """
import sys
import numpy as np
from strikebench import compat
compat.apply()
import recbole.trainer, recbole.model.general_recommender
from recbole.evaluator import metrics
assert "sklearn" not in sys.modules, "scikit-learn imported with RecBole"
preds, trues = np.array([0.9, 0.2, 0.6, 0.4]), np.array([1.0, 0.0, 0.0, 1.0])
config = {"metric_decimal_place": 6}
print(metrics.MAE(config).metric_info(preds, trues), metrics.RMSE(config).metric_info(preds, trues),
      metrics.AUC(config).metric_info(preds, trues))
assert "sklearn.metrics" in sys.modules
import sklearn.linear_model, sklearn.exceptions
assert isinstance(sklearn.linear_model.ElasticNet, type) and issubclass(sklearn.exceptions.ConvergenceWarning, Warning)
"""


def test_recbole_imports_without_sklearn_and_its_metrics_import_it_on_first_use(tmp_path):
    result = subprocess.run([sys.executable, "-c", _METRICS_ON_FIRST_USE], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    mae, rmse, auc = (float(v) for v in result.stdout.split())
    assert mae == 0.375
    assert abs(rmse - 0.77 ** 0.5 / 2) < 1e-12
    assert auc == 0.75


def test_a_deferred_name_calls_the_real_function():
    deferred = compat.Deferred("sklearn.metrics", "mean_absolute_error")
    assert deferred([1.0, 3.0], [2.0, 1.0]) == 1.5  # (1 + 2) / 2
    from sklearn.metrics import mean_absolute_error

    assert deferred.real() is mean_absolute_error


def test_slimelastic_built_with_deferred_names_equals_the_one_built_with_the_real_ones(tiny_data, tmp_path,
                                                                                      monkeypatch):
    from recbole.model.general_recommender import slimelastic
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ElasticNet

    from strikebench.training.models import build_model
    from tests.test_compat import _config

    config = _config("SLIMElastic", tmp_path)
    np.random.seed(0)  # its ElasticNet visits coordinates in random order (numpy's global generator)
    with_real = build_model("SLIMElastic", config, tiny_data.recbole_dataset)
    monkeypatch.setattr(slimelastic, "ElasticNet", compat.Deferred("sklearn.linear_model", "ElasticNet"))
    monkeypatch.setattr(slimelastic, "ConvergenceWarning", compat.Deferred("sklearn.exceptions", "ConvergenceWarning"))
    np.random.seed(0)
    with_deferred = build_model("SLIMElastic", config, tiny_data.recbole_dataset)
    # The first build swaps the stand-ins for the real classes (warnings.simplefilter needs the class).
    assert slimelastic.ElasticNet is ElasticNet and slimelastic.ConvergenceWarning is ConvergenceWarning
    real, deferred = with_real.item_similarity, with_deferred.item_similarity
    assert real.shape == (tiny_data.n_items, tiny_data.n_items) and real.nnz > 0
    assert np.array_equal(real.toarray(), deferred.toarray())
    users = torch.arange(1, 4)
    assert torch.equal(with_real.full_sort_predict({"user_id": users}),
                       with_deferred.full_sort_predict({"user_id": users}))
