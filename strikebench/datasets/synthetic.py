"""A synthetic interaction generator that writes RecBole atomic files.

Shape: every user has at least ``min_per_user`` interactions (so a per-user split has train, valid
and test data), user activity is heavy-tailed (log-normal), item popularity follows a Zipf law,
and no (user, item) pair repeats. Users have a taste over item categories, so a personalised model
has something to learn beyond popularity (the personalisation gap the study measures).

Everything is vectorised numpy, so an ML-20M-shaped set (138k users, 27k items, 20M interactions)
takes tens of seconds on two cores.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strikebench.errors import ConfigError

# Bump when the same parameters would produce different data, so cached copies are not reused.
GENERATOR_VERSION = 1

_T0 = 946_684_800  # 2000-01-01, the start of the synthetic clock
_T_SPAN = 15 * 365 * 86_400
_HIDDEN_TASTE_GROUPS = 16  # taste groups when no categories are written
_CHUNK = 4_000_000  # interactions per block of users / draws per chunk, to bound memory


@dataclass(frozen=True)
class SyntheticData:
    """Interactions as parallel arrays; ids are 0-based (files write them 1-based)."""

    n_users: int
    n_items: int
    user: np.ndarray  # int32, sorted, then item ascending within a user
    item: np.ndarray  # int32
    rating: np.ndarray | None  # int8 in 1..5
    timestamp: np.ndarray | None  # int64 seconds
    item_category: np.ndarray | None  # int16 per item, 0-based; None without categories

    def __len__(self) -> int:
        return len(self.user)


def params_hash(params: dict) -> str:
    """A short stable digest of the generator's parameters, naming the cache directory."""
    blob = json.dumps({"version": GENERATOR_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _is_whole(value) -> bool:
    try:
        return not isinstance(value, bool) and int(value) == float(value)
    except (TypeError, ValueError):
        return False


def _check(n_users, n_items, n_interactions, zipf_exponent, min_per_user, max_user_share,
           activity_sigma, n_categories, taste_concentration) -> int:
    """Reject impossible shapes before any work, naming the field; returns the per-user cap."""
    f = "dataset.synthetic."
    for key, value in (("n_users", n_users), ("n_items", n_items),
                       ("n_interactions", n_interactions), ("min_per_user", min_per_user)):
        if not _is_whole(value) or value < 1:
            raise ConfigError(f + key, f"must be a positive integer, got {value!r}")
    if not 0 < max_user_share <= 1:
        raise ConfigError(f + "max_user_share", f"must be in (0, 1], got {max_user_share!r}")
    if zipf_exponent < 0 or activity_sigma < 0:
        raise ConfigError(f + "zipf_exponent/activity_sigma", "must be >= 0")
    if not _is_whole(n_categories) or not 0 <= n_categories <= 256:
        # Each user holds a taste per category: n_users x n_categories floats, several times.
        raise ConfigError(f + "n_categories", f"must be an integer in [0, 256], got {n_categories!r}")
    if taste_concentration is not None and taste_concentration <= 0:
        raise ConfigError(f + "taste_concentration", "must be > 0, or null for no taste")
    cap = max(int(max_user_share * n_items), 1)
    if min_per_user > cap:
        raise ConfigError(f + "min_per_user",
                          f"{min_per_user} exceeds the per-user cap max_user_share*n_items={cap}")
    if not n_users * min_per_user <= n_interactions <= n_users * cap:
        raise ConfigError(
            f + "n_interactions",
            f"{n_interactions} is not reachable: it must lie in [n_users*min_per_user, "
            f"n_users*max_user_share*n_items] = [{n_users * min_per_user}, {n_users * cap}]")
    return cap


def _user_counts(rng, n_users, n_interactions, min_per_user, cap, sigma) -> np.ndarray:
    """Per-user counts summing exactly to n_interactions, each in [min_per_user, cap]."""
    activity = rng.lognormal(0.0, sigma, n_users)
    counts = np.full(n_users, min_per_user, np.int64)
    counts += rng.multinomial(n_interactions - n_users * min_per_user, activity / activity.sum())
    while (over := counts - cap).max() > 0:  # hand the overflow of capped users to the rest
        excess = int(over[over > 0].sum())
        np.minimum(counts, cap, out=counts)
        weights = activity * (counts < cap)
        counts += rng.multinomial(excess, weights / weights.sum())
    return counts


class _Sampler:
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
        for lo in range(0, len(users), _CHUNK):
            u = users[lo:lo + _CHUNK]
            g = self._groups(u, rng.random(len(u)))
            pos = np.searchsorted(self.item_cdf, g + rng.random(len(u)), side="right")
            pos = np.clip(pos, self.g_start[g], self.g_end[g] - 1)  # float rounding at edges
            out[lo:lo + _CHUNK] = self.order[pos]
        return out

    def _groups(self, u: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw of each user's group, for uniforms r."""
        k = self.n_groups
        pos = np.searchsorted(self.taste_cdf, u + r, side="right")
        return np.clip(pos - u * k, 0, k - 1)  # clip: float rounding at row edges

    def prob(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.taste[users, self.group[items]] * self.item_share[items]


def _distinct_pairs(rng, sampler: _Sampler, counts: np.ndarray, n_items: int) -> np.ndarray:
    """Exactly counts[u] distinct items per user, as sorted keys user * n_items + item.

    Users are independent, so they are done in blocks of about _CHUNK interactions: memory
    stays bounded whatever the dataset's size.
    """
    ends = np.searchsorted(np.cumsum(counts), np.arange(_CHUNK, counts.sum(), _CHUNK))
    edges = np.unique(np.r_[0, ends + 1, len(counts)].clip(0, len(counts)))
    return np.concatenate([_distinct_block(rng, sampler, counts, lo, hi, n_items)
                           for lo, hi in zip(edges[:-1], edges[1:])])


def _distinct_block(rng, sampler, counts, lo, hi, n_items) -> np.ndarray:
    """_distinct_pairs for users lo..hi-1.

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


def generate_arrays(
    n_users: int,
    n_items: int,
    n_interactions: int,
    *,
    zipf_exponent: float = 1.0,
    min_per_user: int = 5,
    max_user_share: float = 0.5,
    activity_sigma: float = 1.2,
    n_categories: int = 0,
    taste_concentration: float | None = 0.3,
    timestamps: bool = True,
    ratings: bool = True,
    seed: int = 0,
) -> SyntheticData:
    """Generate interactions in memory.

    zipf_exponent: item popularity p(rank r) ~ r ** -zipf_exponent (0 = uniform).
    max_user_share: no user interacts with more than this share of the items.
    activity_sigma: spread of the log-normal user activity (0 = everyone equally active).
    n_categories: item categories (0 = none); users' taste is over categories, or over
        hidden groups when there are none.
    taste_concentration: Dirichlet concentration of each user's taste; small = focused fans,
        None = no taste (pure popularity, no personalisation signal).
    """
    n_categories = n_categories or 0
    cap = _check(n_users, n_items, n_interactions, zipf_exponent, min_per_user, max_user_share,
                 activity_sigma, n_categories, taste_concentration)
    # YAML may hand over 1e5 as a float: whole numbers from here on.
    n_users, n_items, n_interactions, min_per_user, n_categories = map(
        int, (n_users, n_items, n_interactions, min_per_user, n_categories))
    rng = np.random.default_rng(seed)
    n_groups = n_categories or _HIDDEN_TASTE_GROUPS
    taste = None
    if taste_concentration is not None:
        # Mix in a little uniform taste so every item stays reachable for every user.
        taste = 0.9 * rng.dirichlet(np.full(n_groups, taste_concentration), n_users) + 0.1 / n_groups
    sampler = _Sampler(rng, n_items, zipf_exponent, n_groups, taste, n_users)
    counts = _user_counts(rng, n_users, n_interactions, min_per_user, cap, activity_sigma)
    keys = _distinct_pairs(rng, sampler, counts, n_items)
    user = (keys // n_items).astype(np.int32)
    item = (keys % n_items).astype(np.int32)
    del keys

    rating = None
    if ratings:
        # Rating = user bias + item bias + taste for the item's group + noise, on a 1..5 scale.
        pref = np.broadcast_to(sampler.pref, (n_users, n_groups))
        affinity = np.log(pref[user, sampler.group[item]] * n_groups).clip(-2, 2) * 0.3
        score = (3.6 + rng.normal(0, 0.35, n_users)[user] + rng.normal(0, 0.5, n_items)[item]
                 + affinity + rng.normal(0, 0.8, len(user)))
        rating = np.clip(np.rint(score), 1, 5).astype(np.int8)
    timestamp = None
    if timestamps:
        # Each user is active for a log-normal span (median ~1 year) starting at a random time.
        start = rng.integers(_T0, _T0 + _T_SPAN, n_users)
        span = np.minimum(rng.lognormal(np.log(365 * 86_400), 1.0, n_users).astype(np.int64),
                          _T0 + _T_SPAN - start)
        timestamp = start[user] + (rng.random(len(user)) * span[user]).astype(np.int64)
    item_category = sampler.group if n_categories else None
    return SyntheticData(n_users, n_items, user, item, rating, timestamp, item_category)


def write_atomic(data: SyntheticData, directory: str | Path, name: str) -> Path:
    """Write ``<directory>/<name>.inter`` (and ``.item`` with categories) as RecBole reads them."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    columns = {"user_id:token": data.user + 1, "item_id:token": data.item + 1}
    if data.rating is not None:
        columns["rating:float"] = data.rating
    if data.timestamp is not None:
        columns["timestamp:float"] = data.timestamp
    _write_tsv(directory / f"{name}.inter", columns, pa, pacsv)
    if data.item_category is not None:
        labels = np.array([f"c{k + 1}" for k in range(int(data.item_category.max()) + 1)])
        _write_tsv(directory / f"{name}.item",
                   {"item_id:token": np.arange(1, data.n_items + 1),
                    "class:token_seq": labels[data.item_category]}, pa, pacsv)
    return directory


def _write_tsv(path: Path, columns: dict, pa, pacsv) -> None:
    # pyarrow's writer is multi-threaded C++: 20M rows in seconds, where pandas takes minutes.
    with open(path, "wb") as fh:
        fh.write(("\t".join(columns) + "\n").encode())
        table = pa.table({k.split(":")[0]: v for k, v in columns.items()})
        options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
        pacsv.write_csv(table, fh, write_options=options)


def generate(params: dict, directory: str | Path, name: str) -> Path:
    """Generate from a ``dataset.synthetic`` mapping and write the atomic files."""
    import inspect

    allowed = set(inspect.signature(generate_arrays).parameters)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ConfigError(f"dataset.synthetic.{unknown[0]}", "unknown parameter",
                          allowed=", ".join(sorted(allowed)))
    return write_atomic(generate_arrays(**params), directory, name)
