"""A cell's study: what makes its numbers comparable with another cell's (docs/design.md rule 5).

A study is the dataset (its name, its content checksum and RecBole's filtering settings), the
fixed split's config and the evaluation protocol (history mask, cut-offs, metrics, full ranking
and the sampled negatives, if any). Every record carries the full description and a short id,
``<dataset>-<8 hex>``, that the results table keys on. Built from the resolved config alone.
"""
from __future__ import annotations

import hashlib
import json

DATASET_CHECKSUM = "dataset_checksum"  # the resolved config's key for the dataset's content checksum
MASKS = ("user", "company")  # eval.mask: what is masked from each user's ranking (docs/evaluation.md)
MASK_BEFORE_OPTION = "company"  # what records made before eval.mask existed masked
BEFORE_STUDIES = ("recorded before studies existed: the dataset's content is unknown, and the history "
                  "mask was what the company held (eval.mask=company)")


def history_mask(config: dict) -> str:
    """The record's ``eval.mask``; a config from before the option masked what the company held."""
    return str((config.get("eval") or {}).get("mask", MASK_BEFORE_OPTION))


def describe_study(config: dict) -> dict:
    """The study of a resolved config (plain dict): ``id`` plus dataset, split and evaluation."""
    dataset = config.get("dataset") or {}
    evaluation = config.get("eval") or {}
    description = {
        "dataset": {"name": dataset.get("name"), "checksum": config.get(DATASET_CHECKSUM),
                    "recbole": dataset.get("recbole")},
        "split": config.get("split"),
        "evaluation": {"mask": history_mask(config), "ks": evaluation.get("ks"),
                       "metrics": evaluation.get("metrics"), "ranking": "full",
                       "sampled_negatives": evaluation.get("sampled_negatives") or None},
    }
    text = json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
    return {"id": f"{dataset.get('name')}-{hashlib.sha256(text.encode()).hexdigest()[:8]}", **description}


def study_of_old_record(config: dict) -> dict:
    """The study of a record written before records carried one: described from its config
    (content unknown, company mask), with a note saying so."""
    return {**describe_study(config), "note": BEFORE_STUDIES}
