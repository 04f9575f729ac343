"""One epoch of every cell's batches, laid out so that a group step is one slice.

Each cell draws its epoch as it would alone: its own ``FastTrainLoader`` (its training rows,
its own generator, one shuffle and one draw of negatives excluding its users' training items),
so each cell sees each of its training rows once per epoch, in batches of the configured size.
Cells hold different numbers of rows, so they need different numbers of batches. The cells are
ordered by that number, largest first (ties: largest last batch first); then at tick ``t`` of
the epoch the cells that still have a full batch are a prefix of the stack, and they step
together on one [cells, batch] slice. A last, shorter batch steps with the cells whose last
batch has the same size (one group each), never padded: RecBole's loss is a mean over the
batch, and padding would change it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class GroupBatch:
    """Cells ``rows`` (a slice of the stack) and their batches, fields [cells, batch rows]."""

    rows: slice
    fields: dict[str, torch.Tensor]

    @property
    def length(self) -> int:
        return next(iter(self.fields.values())).shape[1]


def batch_count(loader) -> tuple[int, int]:
    """(batches an epoch, rows in the last batch) of a FastTrainLoader: the order key."""
    rows = len(loader.users)
    if rows == 0:
        return 0, 0
    return len(loader), rows - (len(loader) - 1) * loader.step


def stack_order(loaders) -> list[int]:
    """Indices of ``loaders`` ordered for the prefix layout: most batches, then largest last batch."""
    counts = [batch_count(loader) for loader in loaders]
    return sorted(range(len(loaders)), key=lambda i: (-counts[i][0], -counts[i][1]))


class EpochBatches:
    """The batches of one epoch of the cells ``loaders`` (in stack order)."""

    def __init__(self, loaders):
        per_cell = [list(loader) for loader in loaders]  # one shuffle and one negative draw each
        self.ticks = max((len(batches) for batches in per_cell), default=0)
        full_length = max((b.length for batches in per_cell for b in batches), default=0)
        # Cells whose batch t is full, per t: a non-increasing count by the stack order.
        self.full_counts = [0] * self.ticks
        self.last: list[tuple[int, int, object]] = []  # (tick, row, batch) of each short last batch
        full_per_cell = []
        for row, batches in enumerate(per_cell):
            full = [b for b in batches if b.length == full_length]
            if len(full) < len(batches):
                self.last.append((len(batches) - 1, row, batches[-1]))
            full_per_cell.append(full)
            for t in range(len(full)):
                self.full_counts[t] += 1
        self.full = self._layout(full_per_cell, self.ticks)
        self.last_by_tick: dict[int, list] = {}
        for tick, row, batch in self.last:
            self.last_by_tick.setdefault(tick, []).append((row, batch))

    @staticmethod
    def _layout(full_per_cell, ticks: int) -> dict[str, torch.Tensor]:
        """Every field as [cells, ticks, batch rows]; rows past a cell's last full batch unused."""
        first = next((batches[0] for batches in full_per_cell if batches), None)
        if first is None:
            return {}
        out = {}
        for name, value in first.interaction.items():
            table = value.new_zeros((len(full_per_cell), ticks) + tuple(value.shape))
            for row, batches in enumerate(full_per_cell):
                if batches:
                    table[row, :len(batches)] = torch.stack([b.interaction[name] for b in batches])
            out[name] = table
        return out

    def at(self, tick: int) -> list[GroupBatch]:
        """The group steps of tick ``tick``: the full batches, then each run of equal short ones."""
        groups = []
        if self.full_counts[tick]:
            count = self.full_counts[tick]
            groups.append(GroupBatch(slice(0, count), {n: v[:count, tick] for n, v in self.full.items()}))
        short = self.last_by_tick.get(tick, [])
        start = 0
        while start < len(short):  # rows of equal last-batch size are adjacent in the stack order
            stop = start + 1
            while (stop < len(short) and short[stop][1].length == short[start][1].length
                   and short[stop][0] == short[stop - 1][0] + 1):
                stop += 1
            batches = [batch for _, batch in short[start:stop]]
            fields = {n: torch.stack([b.interaction[n] for b in batches]) for n in batches[0].interaction}
            groups.append(GroupBatch(slice(short[start][0], short[stop - 1][0] + 1), fields))
            start = stop
        return groups
