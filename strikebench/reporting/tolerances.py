"""How close a re-run must come to a published value: strikebench's own rules, never a manifest's.

A manifest records these rules for the reader, but ``strikebench leaderboard verify`` applies the
ones below, so a manifest cannot loosen its own check. Which rule a model gets follows from its
RecBole model type (``training.models.has_gradient_step``, the one rule for it):

- TRADITIONAL models (no trainable step: Pop, ItemKNN, EASE ...) are deterministic: a re-run gives
  the same floats up to summation order, so 1e-6 (measured: 0 on the same CPU);
- every other model trains, and is held to an absolute tolerance per metric. Same seed on the same
  CPU re-runs exactly, but GPU kernels and thread scheduling are not bit-reproducible across
  machines, so at worst a re-run behaves like another initialisation seed. Measured: BPR, default
  trainer, ML-100K, p = 0, seeds 0-4: sd over seeds ndcg@10 0.0027 (range 0.0071), recall@10 0.0037
  (0.010), precision@10 0.0013 (0.0033), hit@10 0.0118 (0.032), mrr@10 0.0087 (0.025). The
  difference of two seeds has sd = sqrt(2) * sd: 0.02 is 5.2 of those sds for ndcg, 3.8 for recall,
  11 for precision; hit and mrr (one hit moves them more) get 0.05: 3.0 and 4.1 sds.

User counts (``.../n_users``) must be equal.
"""
from __future__ import annotations

from strikebench.training.models import has_gradient_step

DETERMINISTIC, TRAINED = "deterministic", "trained"
# kind -> absolute tolerance by metric name before "@" ("default": every other metric)
TOLERANCES: dict[str, dict[str, float]] = {
    DETERMINISTIC: {"default": 1e-6},
    TRAINED: {"default": 0.02, "hit": 0.05, "mrr": 0.05, "sampled_hit": 0.05, "sampled_mrr": 0.05},
}
N_USERS = "n_users"


def model_kind(model_name: str) -> str:
    """``deterministic`` or ``trained``, from the model's RecBole type. Raises ValueError for a
    name that is not a model (importing a custom class is the caller's decision, not this one's)."""
    return TRAINED if has_gradient_step(model_name) else DETERMINISTIC


def metric_tolerance(kind: str, name: str) -> float:
    """Tolerance of ``company/view/group/ndcg@10`` for a model of ``kind``: by the metric's base
    name, else the default; 0 for a user count."""
    metric = name.rsplit("/", 1)[-1]
    if metric == N_USERS:
        return 0.0
    table = TOLERANCES[kind]
    return table.get(metric.split("@", 1)[0], table["default"])


def describe(kind: str) -> str:
    table = TOLERANCES[kind]
    others = ", ".join(f"{k} {v:g}" for k, v in table.items() if k != "default")
    return f"{table['default']:g}" + (f" ({others})" if others else "")
