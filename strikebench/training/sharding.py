"""Data parallel training over RecBole's loader: each DDP worker takes every world_size-th batch."""
from __future__ import annotations

import torch.distributed as dist


class RankShard:
    """Wrap a loader so that worker ``rank`` of ``world`` trains on batches rank, rank + world, ...

    Every worker takes the same number of batches (the last n mod world are dropped), since DDP
    needs one gradient all-reduce per step on every worker. Outside DDP it is the loader itself.
    The rank is read when iterating, inside the worker, after Lightning set up the process group.
    """

    def __init__(self, loader):
        self.loader = loader

    def _rank_world(self) -> tuple[int, int]:
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        return len(self.loader) // self._rank_world()[1]

    def __iter__(self):
        rank, world = self._rank_world()
        steps = len(self.loader) // world
        for index, batch in enumerate(self.loader):
            if index >= steps * world:
                break
            if index % world == rank:
                yield batch
