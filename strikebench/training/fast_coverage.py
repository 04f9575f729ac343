"""What the fast path covers, stated once without importing torch or RecBole (the pre-sweep check
and ``plan`` ask it for thousands of cells): config validation asks it before anything is loaded,
and the fast training loader again, from RecBole's config, when it is built."""
from __future__ import annotations


def refusal(model_type: str | None, input_type: str | None, neg_args: dict | None) -> str | None:
    """Why the fast path cannot train a model of RecBole's ``model_type`` and ``input_type`` (their
    names: ``"GENERAL"``, ``"PAIRWISE"`` ...) with the negative sampling ``neg_args`` (RecBole's
    ``train_neg_sample_args``), or None when it can."""
    if model_type not in ("GENERAL", "TRADITIONAL"):
        return f"model type {model_type} (only general and traditional models; sequential, context and " \
               f"knowledge models read fields the fast batches do not carry)"
    args = neg_args or {}
    distribution = args.get("distribution", "none")
    if distribution not in ("none", "uniform"):
        return f"train_neg_sample_args.distribution={distribution!r} (only uniform)"
    if distribution == "uniform" and args.get("dynamic", False):
        return "dynamic negative sampling (it scores candidates with the model)"
    if distribution == "uniform" and input_type not in ("PAIRWISE", "POINTWISE"):
        return f"input type {input_type} with negative sampling"
    return None
