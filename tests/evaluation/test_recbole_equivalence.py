"""With no strike, strikebench's evaluator gives RecBole's own Evaluator's numbers (ML-100K)."""
from __future__ import annotations

import numpy as np
import pytest

from strikebench import compat
from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.evaluation.validation import validation_metric
from strikebench.training.company_data import company_dataset
from strikebench.training.fit import fit_company
from strikebench.training.recbole_config import recbole_config_dict

pytestmark = pytest.mark.slow  # ML-100K trainings in strikebench and in RecBole


# Pop is left out on purpose: its scores are counts with many exact ties, which torch.topk in
# RecBole orders arbitrarily while strikebench breaks ties by item index (docs/design.md rule 4).
@pytest.mark.parametrize("model", ["bpr", "itemknn", "ease"])
def test_no_strike_metrics_equal_recbole_evaluator(model, compose_cfg, ml100k, tmp_path):
    from recbole.data.utils import create_samplers, get_dataloader
    from recbole.trainer import Trainer

    from strikebench.app.cell import preflight

    cfg = compose_cfg([f"model={model}", "strike.participation=0", "trainer=tiny", "eval.ks=[5,10]"])
    data, split, state, device = preflight(cfg)
    view = state.companies["incumbent"]
    valid_metric = validation_metric(data, view.train, view.valid, cfg.trainer.monitor, device, cfg.trainer.eval_batch_size)
    fit = fit_company(cfg, data, split, view.train, view.valid, device, tmp_path / "work", valid_metric)

    # strikebench's evaluator on the fixed test set, masking train + valid.
    ctx = EvalContext.build(
        data.n_users, data.n_items,
        eval_pairs=(data.user[split.test], data.item[split.test]),
        history_pairs=(np.concatenate([data.user[split.train], data.user[split.valid]]),
                       np.concatenate([data.item[split.train], data.item[split.valid]])),
        train_items=data.item[split.train], train_users=data.user[split.train], ks=[5, 10],
    )
    ours = evaluate(fit.score_fn, ctx).drop(columns=["user", "n_pos", "fallback"]).mean()

    # RecBole's own full-sort test loader and Trainer.evaluate on the same model and split.
    settings = recbole_config_dict(cfg, device)
    settings.update(topk=[5, 10], metrics=["NDCG", "Recall", "Hit", "MRR", "Precision"], eval_batch_size=4096)
    config = compat.recbole_config(cfg.model.name, data.name, settings)
    built = [company_dataset(data, rows) for rows in (split.train, split.valid, split.test)]
    _, _, test_sampler = create_samplers(config, data.recbole_dataset, built)
    test_loader = get_dataloader(config, "test")(config, built[2], test_sampler, shuffle=False)
    theirs = Trainer(config, fit.model).evaluate(test_loader, load_best_model=False)

    assert len(ours) == 10
    for name, value in ours.items():
        assert value == pytest.approx(float(theirs[name]), abs=1e-6), name
