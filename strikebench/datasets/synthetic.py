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

from strikebench.datasets.taste_sampler import TasteSampler, distinct_pairs
from strikebench.errors import ConfigError

# Bump when the same parameters would produce different data, so cached copies are not reused.
GENERATOR_VERSION = 1

_T0 = 946_684_800  # 2000-01-01, the start of the synthetic clock
_T_SPAN = 15 * 365 * 86_400
_HIDDEN_TASTE_GROUPS = 16  # taste groups when no categories are written


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
    sampler = TasteSampler(rng, n_items, zipf_exponent, n_groups, taste, n_users)
    counts = _user_counts(rng, n_users, n_interactions, min_per_user, cap, activity_sigma)
    keys = distinct_pairs(rng, sampler, counts, n_items)
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
