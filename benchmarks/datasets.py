"""The benchmark's datasets: RecBole's bundled ML-100K and synthetic sets written as atomic files.

Synthetic shapes keep about 67 interactions per user and 3 users per item, the ratio of the
issue's measurement (4.16M interactions, 60k users, 20k items); 20M is ML-20M's shape.
"""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.recbole_settings import INTERACTION_SETTINGS

SYNTHETIC = {
    "syn1m": dict(n_users=15_000, n_items=5_000, n_interactions=1_000_000),
    "syn4m": dict(n_users=60_000, n_items=20_000, n_interactions=4_000_000),
    "syn20m": dict(n_users=138_493, n_items=27_278, n_interactions=20_000_000),
}
DATASETS = ("ml-100k", *SYNTHETIC)

# Both pipelines read the same columns with the same settings (no rating normalisation).
RECBOLE_SETTINGS = INTERACTION_SETTINGS


def prepare(name: str, data_dir: Path) -> Path:
    """The folder RecBole's ``data_path`` should name for dataset ``name`` (generated on first use)."""
    if name == "ml-100k":
        # RecBole resolves "ml-100k" to the copy in its wheel whatever data_path says.
        import recbole

        return Path(recbole.__file__).parent / "dataset_example"
    if name not in SYNTHETIC:
        raise ValueError(f"unknown benchmark dataset {name!r}; known: {', '.join(DATASETS)}")
    from strikebench.datasets.synthetic import generate_arrays, write_atomic

    params = dict(SYNTHETIC[name], n_categories=0, seed=0)
    folder = Path(data_dir) / name
    stamp = folder / "params.json"
    if not (folder / f"{name}.inter").is_file() or not stamp.is_file() or json.loads(stamp.read_text()) != params:
        write_atomic(generate_arrays(**params), folder, name)
        stamp.write_text(json.dumps(params))
    return Path(data_dir)
