"""Time and peak memory of the data stages at 1M, 5M and 20M synthetic interactions.

    python -m benchmarks.data_stages --sizes 1m 5m 20m --out data_stages.json
    python -m benchmarks.data_stages --sizes 20m --skip-cold      # no RecBole cold read at 20M

Stages (each group in a fresh process, so that a peak is the stage's and not a leftover):
- ``cold load``: RecBole reading the atomic files (``load_interactions``), as every job did
  before the preprocessed cache; capped at ``--cold-limit`` seconds (reported as capped);
- ``cache build``: ``load_with_cache`` on an empty cache (the cold read, writing the Parquet
  tables, the checksum, making and storing the fixed split): once per dataset and config;
- then, in one new process, what every later job of a sweep does: ``cache load`` (RecBole's
  processing of the stored tables, each file checked against its checksum), ``split (from
  cache)`` (checksums and the partition check included), ``random strike p=0.3``
  (``apply_strike_config``) and ``company views`` (each company's RecBole Dataset copy and its
  valid and test evaluation contexts). ``split (make_split)`` is the split made afresh, for
  comparison; the checksums of every cached file and the split's partition check are also timed
  alone (the cost of checking cache files against their content).

Shapes are ML-20M's (138,493 users, 27,278 items, 20M interactions, 18 item categories) scaled
down in proportion, so interactions per user and per item stay the same at every size.
Peak RSS is the process's resident set sampled every 5 ms during the stage (absolute: it
includes what earlier stages of the same process hold), plus the process's high-water mark.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ML20M = dict(n_users=138_493, n_items=27_278, n_interactions=20_000_000)
SIZES = {"1m": 1_000_000, "5m": 5_000_000, "20m": 20_000_000}
SPLIT = {"seed": 2020, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}  # conf/split/default.yaml
SETTINGS = {  # conf/dataset/synthetic.yaml
    "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"], "item": ["item_id", "class"]},
    "normalize_all": False,
    "USER_ID_FIELD": "user_id",
    "ITEM_ID_FIELD": "item_id",
    "RATING_FIELD": "rating",
    "TIME_FIELD": "timestamp",
}
PARTICIPATION = 0.3


def shape(size: str) -> dict:
    n = SIZES[size]
    scale = n / ML20M["n_interactions"]
    return dict(n_users=round(ML20M["n_users"] * scale), n_items=round(ML20M["n_items"] * scale),
                n_interactions=n, n_categories=18, seed=0)


def name_of(size: str) -> str:
    return f"syn{size}"


# --- measuring ---------------------------------------------------------------------------------

def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Stage:
    """``with Stage(name, out): ...`` appends {stage, seconds, rss_peak_mb, rss_added_mb} to out."""

    def __init__(self, name: str, out: list, **extra):
        self.name, self.out, self.extra = name, out, extra

    def __enter__(self):
        self.before = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.started
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        if exc[0] is None:
            self.out.append({"stage": self.name, "seconds": seconds, "rss_peak_mb": self.peak / 2**20,
                             "rss_added_mb": (self.peak - self.before) / 2**20, **self.extra})
        return False


def _high_water_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the stage groups (each runs in its own process) -------------------------------------------

def group_generate(size: str, work: Path) -> list:
    from strikebench.datasets.synthetic import generate

    folder = work / name_of(size)
    stages: list = []
    if not (folder / f"{name_of(size)}.inter").is_file():
        with Stage("generate (not a data stage)", stages):
            generate(shape(size), folder, name_of(size))
    return stages


def group_cold(size: str, work: Path) -> list:
    from strikebench.data.interactions import load_interactions

    stages: list = []
    with Stage("cold load (RecBole reads atomic files)", stages):
        data = load_interactions(name_of(size), work / name_of(size), SETTINGS)
    stages[-1]["rows"] = len(data)
    return stages


def group_build(size: str, work: Path) -> list:
    from strikebench.data.preprocessed import load_with_cache

    cache = work / "cache" / size
    shutil.rmtree(cache, ignore_errors=True)
    stages: list = []
    with Stage("cache build (cold load + write + split)", stages):
        data, _, info = load_with_cache(name_of(size), work / name_of(size), SETTINGS, SPLIT, cache)
    assert info["data"] == "miss" and info["split"] == "miss", info
    stages[-1].update(rows=len(data), parts_seconds=info["seconds"],
                      cache_mb=sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 2**20)
    return stages


def _strike_cfg():
    """conf/strike/random.yaml with its selector and lever, composed as a cell composes it."""
    from hydra import compose

    from strikebench.config.paths import config_context

    with config_context():
        cfg = compose("config", overrides=["strike=random", f"strike.participation={PARTICIPATION}"])
    return cfg.strike


def company_views(data, split, state):
    """What each company is trained and judged on: its RecBole Dataset copy (what fit_company
    trains from) and its valid and test evaluation contexts (holdout view; the company view
    restricts the same test set to its users)."""
    import numpy as np

    from strikebench.evaluation.evaluator import EvalContext
    from strikebench.training.company_data import company_dataset

    out = {}
    for name, view in state.companies.items():
        if not view.holds_data:
            continue
        held = np.concatenate([view.train, view.valid])
        train_users, train_items = data.user[view.train], data.item[view.train]
        contexts = [EvalContext.build(data.n_users, data.n_items, pairs, history, train_items, train_users, ks=[10])
                    for pairs, history in (
                        ((data.user[view.valid], data.item[view.valid]), (train_users, train_items)),
                        ((data.user[split.test], data.item[split.test]), (data.user[held], data.item[held])))]
        out[name] = (company_dataset(data, view.train), contexts)
    return out


def group_warm(size: str, work: Path) -> list:
    from strikebench import compat
    from strikebench.data.data_cache import load_data_cached
    from strikebench.data.split import make_split
    from strikebench.data.split_cache import PARTS, check_partition, load_split_cached
    from strikebench.data.table_codec import digest
    from strikebench.levers.build import apply_strike_config

    compat.apply()
    cache = work / "cache" / size
    stages: list = []
    with Stage("cache load (warm)", stages):
        data, entry, info = load_data_cached(name_of(size), work / name_of(size), SETTINGS, cache)
    assert info["data"] == "hit", info
    stages[-1]["parts_seconds"] = info["seconds"]
    with Stage("split (from cache)", stages):
        split, split_info = load_split_cached(entry, data, SPLIT)
    assert split_info["split"] == "hit", split_info
    with Stage("cache file checksums (read + sha256)", stages):
        files = [f for f in entry.path.rglob("*") if f.is_file() and f.suffix in (".parquet", ".npy", ".json")]
        for f in files:
            digest(f.read_bytes())
    stages[-1].update(files=len(files), mb=sum(f.stat().st_size for f in files) / 2**20)
    with Stage("split partition check", stages):
        check_partition({part: getattr(split, part) for part in PARTS}, len(data))
    with Stage("split (make_split, for comparison)", stages):
        make_split(data.user, data.timestamp, SPLIT)
    with Stage(f"random strike p={PARTICIPATION}", stages):
        state = apply_strike_config(_strike_cfg(), 0, data, split, SPLIT)
    stages[-1]["participants"] = int(len(state.participants.users))
    with Stage("company views", stages):
        views = company_views(data, split, state)
    stages[-1]["companies"] = sorted(views)
    return stages


GROUPS = {"generate": group_generate, "cold": group_cold, "build": group_build, "warm": group_warm}


def child(group: str, size: str, work: Path, out: Path) -> None:
    import logging

    logging.disable(logging.WARNING)
    stages = GROUPS[group](size, work)
    for s in stages:
        s["process_high_water_mb"] = _high_water_mb()
    out.write_text(json.dumps(stages))


# --- the driver ----------------------------------------------------------------------------------

def run_group(group: str, size: str, work: Path, limit: float | None) -> list:
    out = work / f".{group}-{size}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.data_stages", "--child", group, "--sizes", size, "--work", str(work)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd + ["--child-out", str(out)], timeout=limit, capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        return [{"stage": f"{group} (capped)", "seconds": time.perf_counter() - started, "capped": True,
                 "note": f"stopped after the {limit:.0f} s cap"}]
    if proc.returncode != 0:
        raise RuntimeError(f"stage group {group} at {size} failed:\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def print_table(results: dict) -> str:
    lines = [f"{'size':>5} {'stage':<44} {'seconds':>9} {'peak RSS MB':>12}"]
    for size, res in results["sizes"].items():
        for s in res["stages"]:
            seconds = f">{s['seconds']:.0f}" if s.get("capped") else f"{s['seconds']:.2f}"
            peak = "-" if s.get("capped") else f"{s['rss_peak_mb']:.0f}"
            lines.append(f"{size:>5} {s['stage']:<44} {seconds:>9} {peak:>12}")
    text = "\n".join(lines)
    print(text)
    return text


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1m", "5m", "20m"], choices=sorted(SIZES))
    parser.add_argument("--work", default=os.environ.get("STRIKEBENCH_BENCH_DIR", "/tmp/strikebench-data-stages"),
                        help="where the synthetic atomic files and the cache are written")
    parser.add_argument("--out", default=None, help="JSON file for the results")
    parser.add_argument("--cold-limit", type=float, default=600.0, help="cap on the RecBole cold read (s)")
    parser.add_argument("--skip-cold", action="store_true", help="do not run the separate cold-load stage")
    parser.add_argument("--child", choices=sorted(GROUPS), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = Path(args.work)
    if args.child:
        child(args.child, args.sizes[0], work, Path(args.child_out))
        return
    work.mkdir(parents=True, exist_ok=True)
    results = {"date": datetime.date.today().isoformat(), "machine": f"{os.cpu_count()}-core CPU",
               "cpu": platform.processor() or platform.machine(), "participation": PARTICIPATION,
               "split": SPLIT, "sizes": {}}
    for size in args.sizes:
        stages = run_group("generate", size, work, None)
        if not args.skip_cold:
            stages += run_group("cold", size, work, args.cold_limit)
        stages += run_group("build", size, work, None)
        stages += run_group("warm", size, work, None)
        atomic = sum(p.stat().st_size for p in (work / name_of(size)).iterdir()) / 2**20
        results["sizes"][size] = {"shape": shape(size), "atomic_files_mb": atomic, "stages": stages}
        print(f"{size}: done", flush=True)
    results["table"] = print_table(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
