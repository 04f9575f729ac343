"""The random generators' states in every checkpoint, so that a resumed fit draws what an
uninterrupted one would have drawn: the shuffle order (the loader's own generator), RecBole's
negatives (numpy's global generator), dropout and the like (torch's). Without them a cell resumed
after epoch k trains epochs k + 1, ... on other batches than the same cell run in one go.

Stored as tensors, lists and ints, so a checkpoint still loads with ``weights_only=True``.
"""
from __future__ import annotations

import random

import lightning as L
import numpy as np
import torch


class RandomStates(L.Callback):
    """Saves and restores Python's, numpy's, torch's (and CUDA's) global generators and ``generators``."""

    def __init__(self, generators=()):
        self.generators = [g for g in generators if isinstance(g, torch.Generator)]

    def state_dict(self) -> dict:
        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        state = {
            "python": random.getstate(),
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)],
            "torch": torch.get_rng_state(),
            "generators": [g.get_state() for g in self.generators],
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        random.setstate(state["python"])
        kind, keys, pos, has_gauss, gauss = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
        torch.set_rng_state(state["torch"])
        for generator, saved in zip(self.generators, state["generators"]):
            generator.set_state(saved)
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
