"""Draw a synthetic dataset's interactions: items by user taste and popularity, no pair twice.

Vectorised numpy in blocks of about ``CHUNK`` interactions, so memory stays bounded whatever
the dataset's size (used by :mod:`strikebench.datasets.synthetic`).
"""
from __future__ import annotations

import numpy as np

CHUNK = 4_000_000  # interactions per block of users / draws per chunk, to bound memory


class TasteSampler:
    """Draws items for users from p(i | u) ~ taste[u, group(i)] * pop[i], in two stages."""

    def __init__(self, rng, n_items, zipf_exponent, n_groups, taste, n_users):
        # Zipf over a random ranking, so item ids carry no popularity information.
        rank = rng.permutation(n_items) + 1
        self.pop = rank.astype(np.float64) ** -zipf_exponent
        self.group = rng.integers(0, n_groups, n_items).astype(np.int16)
        self.n_groups = n_groups
        group_mass = np.bincount(self.group, weights=self.pop, minlength=n_groups)
        if taste is None:
            taste = np.full((1, n_groups), 1.0 / n_groups)
        self.pref = taste  # a user's taste for each group, on average 1 / n_groups
        # p(group | u) ~ taste * the group's popularity mass, so taste reweights popularity
        # without flattening it: averaged over users, p(i) stays ~ pop[i].
        choice = np.broadcast_to(taste * group_mass, (n_users, n_groups))
        self.taste = choice / choice.sum(axis=1, keepdims=True)
        self.item_share = self.pop / group_mass[self.group]  # p(i | group(i))
        # Row u of the users' group CDFs shifted by u: one searchsorted draws every user's group.
        self.taste_cdf = (np.cumsum(self.taste, axis=1) + np.arange(n_users)[:, None]).ravel()
        self.taste_cdf[n_groups - 1::n_groups] = np.arange(1, n_users + 1)
        # Items sorted by group, each group's CDF shifted by its index: one searchsorted draws
        # an item within its group for every draw at once.
        self.order = np.argsort(self.group, kind="stable")
        g_sorted = self.group[self.order].astype(np.float64)
        within = self.item_share[self.order]
        starts = np.searchsorted(g_sorted, np.arange(n_groups))
        ends = np.searchsorted(g_sorted, np.arange(n_groups), side="right")
        cum = np.cumsum(within)
        base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        self.item_cdf = g_sorted + (cum - np.repeat(base, ends - starts))
        self.item_cdf[ends[ends > starts] - 1] = np.arange(n_groups)[ends > starts] + 1.0
        self.g_start, self.g_end = starts, ends
        # Chance that two draws for a user repeat an item, sum_i p(i | u)^2: sizes oversampling.
        share_sq = np.bincount(self.group, weights=self.item_share ** 2, minlength=n_groups)
        self.collision = self.taste ** 2 @ share_sq

    def draw(self, rng, users: np.ndarray) -> np.ndarray:
        out = np.empty(len(users), np.int32)
        for lo in range(0, len(users), CHUNK):
            u = users[lo:lo + CHUNK]
            g = self._groups(u, rng.random(len(u)))
            pos = np.searchsorted(self.item_cdf, g + rng.random(len(u)), side="right")
            pos = np.clip(pos, self.g_start[g], self.g_end[g] - 1)  # float rounding at edges
            out[lo:lo + CHUNK] = self.order[pos]
        return out

    def _groups(self, u: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw of each user's group, for uniforms r."""
        k = self.n_groups
        pos = np.searchsorted(self.taste_cdf, u + r, side="right")
        return np.clip(pos - u * k, 0, k - 1)  # clip: float rounding at row edges

    def prob(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.taste[users, self.group[items]] * self.item_share[items]


def distinct_pairs(rng, sampler: TasteSampler, counts: np.ndarray, n_items: int) -> np.ndarray:
    """Exactly counts[u] distinct items per user, as sorted keys user * n_items + item.

    Users are independent, so they are done in blocks of about CHUNK interactions: memory
    stays bounded whatever the dataset's size.
    """
    ends = np.searchsorted(np.cumsum(counts), np.arange(CHUNK, counts.sum(), CHUNK))
    edges = np.unique(np.r_[0, ends + 1, len(counts)].clip(0, len(counts)))
    return np.concatenate([_distinct_block(rng, sampler, counts, lo, hi, n_items)
                           for lo, hi in zip(edges[:-1], edges[1:])])


def _distinct_block(rng, sampler, counts, lo, hi, n_items) -> np.ndarray:
    """distinct_pairs for users lo..hi-1.

    Taking the first counts[u] distinct draws of an i.i.d. stream is weighted sampling without
    replacement. Each round draws every unfinished user's shortfall, oversampled for the repeats
    expected (collisions within the round, mass already taken), and keeps the first new draws.
    """
    need = counts[lo:hi].astype(np.int64)
    taken_mass = np.zeros(hi - lo)
    taken = np.empty(0, np.int64)
    active = np.flatnonzero(need)
    while active.size:
        accept = np.clip(1.0 - taken_mass[active], 0.02, 1.0)
        repeats = np.clip(need[active] * sampler.collision[lo + active] / accept ** 2 / 2, 0, 1)
        n_draw = np.ceil(need[active] * 1.1 * (1 + repeats) / accept).astype(np.int64) + 3
        users = np.repeat(lo + active, n_draw)
        keys = users * n_items + sampler.draw(rng, users)
        # First occurrence of each pair among (pairs already taken, then this round's draws).
        _, first = np.unique(np.concatenate([taken, keys]), return_index=True)
        keys = keys[np.sort(first[first >= len(taken)]) - len(taken)]  # draw order, by user
        key_user = keys // n_items - lo
        group_start = np.flatnonzero(np.r_[True, key_user[1:] != key_user[:-1]])
        rank = np.arange(len(keys)) - np.repeat(group_start, np.diff(np.r_[group_start, len(keys)]))
        keep = rank < need[key_user]
        keys, key_user = keys[keep], key_user[keep]
        need -= np.bincount(key_user, minlength=hi - lo)
        taken_mass += np.bincount(key_user, weights=sampler.prob(lo + key_user, keys % n_items),
                                  minlength=hi - lo)
        taken = np.concatenate([taken, keys])
        active = np.flatnonzero(need)
    taken.sort()
    return taken
