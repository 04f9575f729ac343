"""A stacked group's state after an epoch, saved atomically and read back without unpickling.

The file holds tensors only (under string keys): ``torch.load(..., weights_only=True)`` reads
it. It is written to a temporary file next to it and renamed, so a kill leaves the previous
epoch's file or the new one, never half of one. A fingerprint of the group (its cells' keys,
seeds and training rows) guards against resuming another group's state.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

FILE = "stacked.pt"


def path_in(work_dir: Path) -> Path:
    return Path(work_dir) / FILE


def fingerprint(members) -> torch.Tensor:
    """sha256 of every cell's key, seed and training and validation rows, as uint8 [32]."""
    digest = hashlib.sha256()
    for member in members:
        digest.update(f"{member.key}\0{int(member.seed)}\0".encode())
        for rows in (member.train_rows, member.valid_rows):
            digest.update(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
            digest.update(b"\0")
    return torch.frombuffer(bytearray(digest.digest()), dtype=torch.uint8).clone()


def save(work_dir: Path, state: dict[str, torch.Tensor]) -> Path:
    path = path_in(work_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        torch.save({name: value.detach().cpu() for name, value in state.items()}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def load(work_dir: Path, members) -> dict[str, torch.Tensor] | None:
    """The saved state of this group, or None when there is none.

    Raises ValueError when the file belongs to another group: it is not overwritten silently.
    """
    path = path_in(work_dir)
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not torch.equal(state.get("fingerprint", torch.zeros(0, dtype=torch.uint8)), fingerprint(members)):
        raise ValueError(f"{path} holds the state of another stacked group (other cells, seeds or rows); "
                         "remove it or give this group its own work_dir")
    return state


def clear(work_dir: Path) -> None:
    """Remove the group's state: call it once every cell's record has landed."""
    path_in(work_dir).unlink(missing_ok=True)
