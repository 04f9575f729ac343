"""Which datasets strikebench knows (``conf/dataset/*.yaml``) and where their atomic files live.

``locate`` returns a directory whose name is the dataset's name and which holds
``<name>.inter``, so RecBole reads it with ``dataset=<name>`` and ``data_path=<its parent>``.
"""
from __future__ import annotations

import importlib.resources
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml

import strikebench
from strikebench.config.plain import to_plain
from strikebench.errors import ConfigError, DataError
from strikebench.results.atomic import new_temporary_dir, publish_directory

SOURCES = ("bundled", "download", "manual", "synthetic")
ARCHIVES = ("zip", "tar.gz", None)
CONFIG_KEYS = ("name", "source", "url", "sha256", "archive", "instructions", "has_ratings",
               "recbole", "synthetic")
FEATURE_TYPES = ("token", "token_seq", "float", "float_seq")
RM_DUP_INTER = (None, "first", "last")  # RecBole: keep repeated user-item rows, or keep the first / last


class DatasetNotAvailable(DataError):
    """The dataset's files are not on this machine; the message says how to get them."""


def conf_dir() -> Path:
    """The ``dataset`` config group of the repository this package sits in."""
    return Path(strikebench.__file__).resolve().parents[1] / "conf" / "dataset"


def default_data_root() -> Path:
    """``$STRIKEBENCH_DATA``, else ``~/.cache/strikebench/data`` (as conf/config.yaml's data_root)."""
    return Path(os.environ.get("STRIKEBENCH_DATA") or Path.home() / ".cache/strikebench/data")


def dataset_names() -> list[str]:
    return sorted(p.stem for p in conf_dir().glob("*.yaml"))


def load_config(name: str) -> dict:
    """The registry entry ``conf/dataset/<name>.yaml``, validated."""
    path = conf_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError("dataset", f"unknown dataset {name!r}", allowed=", ".join(dataset_names()))
    with open(path, encoding="utf-8") as fh:
        return validate_config(yaml.safe_load(fh), where=str(path))


def as_config(dataset) -> dict:
    """A plain, validated dict from a name, a mapping or an OmegaConf DictConfig."""
    if isinstance(dataset, str):
        return load_config(dataset)
    dataset = to_plain(dataset)
    if not isinstance(dataset, Mapping):
        raise ConfigError("dataset", f"expected a name or a mapping, got {type(dataset).__name__}")
    return validate_config(dict(dataset))


def validate_config(cfg: dict, where: str = "dataset") -> dict:
    """Check a registry entry against the schema, naming the field at fault."""
    if not isinstance(cfg, dict):
        raise ConfigError(where, "a dataset entry must be a mapping")
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    extra = sorted(set(cfg) - set(CONFIG_KEYS))
    if missing or extra:
        problem = "; ".join(filter(None, [missing and f"missing keys {missing}",
                                          extra and f"unknown keys {extra}"]))
        raise ConfigError(f"dataset ({where})", problem, allowed=", ".join(CONFIG_KEYS))
    name, source = cfg["name"], cfg["source"]
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ConfigError("dataset.name", f"must be a plain file name, got {name!r}")
    if source not in SOURCES:
        raise ConfigError("dataset.source", f"{source!r} is not a source", allowed=", ".join(SOURCES))
    if cfg["archive"] not in ARCHIVES:
        raise ConfigError("dataset.archive", f"{cfg['archive']!r}", allowed="zip, tar.gz, null")
    if source == "download" and not (cfg["url"] and cfg["archive"]):
        raise ConfigError("dataset.url", f"a downloaded dataset ({name}) needs url and archive")
    if source == "manual" and not cfg["instructions"]:
        raise ConfigError("dataset.instructions", f"a manual dataset ({name}) needs instructions")
    if source == "synthetic" and not isinstance(cfg["synthetic"], Mapping):
        raise ConfigError("dataset.synthetic", f"a synthetic dataset ({name}) needs parameters")
    recbole = cfg["recbole"]
    if not isinstance(recbole, Mapping) or "inter" not in (recbole.get("load_col") or {}):
        raise ConfigError("dataset.recbole.load_col", "must list the inter columns to load")
    return cfg


def check_source(dataset_cfg) -> None:
    """The cell's ``dataset.source`` is one the registry knows, and its ``recbole.rm_dup_inter``
    one RecBole knows, before anything is read."""
    if dataset_cfg.get("source") not in SOURCES:
        raise ConfigError("dataset.source", f"unknown source {dataset_cfg.get('source')!r}", ", ".join(SOURCES))
    rm_dup_inter = (dataset_cfg.get("recbole") or {}).get("rm_dup_inter")
    if rm_dup_inter not in RM_DUP_INTER:
        raise ConfigError("dataset.recbole.rm_dup_inter", f"unknown setting {rm_dup_inter!r}",
                          "null (keep rows repeating a user-item pair, RecBole's default), first, last")


def bundled_dir(name: str) -> Path:
    """The copy of a dataset shipped inside the recbole wheel (RecBole ships ml-100k)."""
    return Path(str(importlib.resources.files("recbole") / "dataset_example" / name))


def dataset_dir(cfg: dict, data_root: str | Path | None = None) -> Path:
    """Where the dataset's files are (or would be), without generating or checking anything."""
    cfg = as_config(cfg)
    if cfg["source"] == "bundled":
        return bundled_dir(cfg["name"])
    root = Path(data_root).expanduser() if data_root else default_data_root()
    if cfg["source"] == "synthetic":
        from strikebench.datasets.synthetic import params_hash

        # One directory per parameter set, so changing a parameter never reuses stale data.
        return root / f"synthetic-{params_hash(dict(cfg['synthetic']))}" / cfg["name"]
    return root / cfg["name"]


def locate(dataset, data_root: str | Path | None = None) -> Path:
    """The directory holding ``<name>.inter``, checked; synthetic data is generated on first use."""
    cfg = as_config(dataset)
    name, path = cfg["name"], dataset_dir(cfg, data_root)
    inter = path / f"{name}.inter"
    if not inter.is_file():
        if cfg["source"] == "synthetic":
            _generate_once(cfg, path)
        elif cfg["source"] == "bundled":
            raise DatasetNotAvailable(
                f"dataset {name!r} should be bundled with recbole but {inter} is missing: "
                f"reinstall recbole (pip install --force-reinstall recbole)")
        elif cfg["source"] == "manual":
            raise DatasetNotAvailable(
                f"dataset {name!r} is not in {path}. It must be fetched by hand: "
                f"{' '.join(str(cfg['instructions']).split())} Put {name}.inter (and any "
                f".user/.item files) in {path}")
        else:
            root = "" if path.parent == default_data_root() else f" --data-root {path.parent}"
            raise DatasetNotAvailable(
                f"dataset {name!r} is not in {path}: run `strikebench data fetch {name}{root}`")
    check_atomic_files(path, cfg)
    return path


def _generate_once(cfg: dict, path: Path) -> None:
    """Generate into a temporary sibling and rename it into place, so no reader sees half a set."""
    from strikebench.datasets.synthetic import generate

    final = path.parent  # <data_root>/synthetic-<hash>
    tmp = new_temporary_dir(final)
    inter = f"{cfg['name']}.inter"
    try:
        generate(dict(cfg["synthetic"]), tmp / path.name, cfg["name"])
        try:  # first rename wins: another job generating the same parameters made the same files
            publish_directory(tmp, final, complete=lambda folder: (folder / path.name / inter).is_file())
        except OSError as exc:
            raise DataError(f"cannot put generated data in {final} ({exc}); remove {final} and retry") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_atomic_files(path: str | Path, dataset) -> None:
    """Each file named in ``recbole.load_col`` exists, has a ``name:type`` header with those
    columns, and the inter file has at least one row; otherwise a DataError naming the file."""
    cfg = as_config(dataset)
    check_files(path, cfg["name"], cfg["recbole"]["load_col"])


def check_files(path: str | Path, name: str, load_col: dict | None) -> None:
    """``check_atomic_files`` for a folder, a dataset name and RecBole's ``load_col``."""
    path = Path(path)
    for suffix, wanted in (load_col or {"inter": None}).items():
        file = path / f"{name}.{suffix}"
        if not file.is_file():
            raise DataError(f"dataset file missing: {file} (named in dataset.recbole.load_col)")
        with open(file, encoding="utf-8", errors="replace") as fh:
            header = fh.readline().rstrip("\r\n").split("\t")
            first_row = fh.readline()
        bad = [col for col in header if col.count(":") != 1 or col.split(":")[1] not in FEATURE_TYPES]
        if bad:
            raise DataError(
                f"malformed atomic file {file}: the first line must be tab-separated `name:type` "
                f"columns with type in {', '.join(FEATURE_TYPES)}; bad columns {bad[:3]}")
        present = {col.split(":")[0] for col in header}
        absent = [c for c in (wanted or []) if c not in present]
        if absent:
            raise DataError(f"{file} lacks columns {absent} named in dataset.recbole.load_col.{suffix}"
                            f" (it has {sorted(present)})")
        if suffix == "inter" and not first_row.strip():
            raise DataError(f"{file} has a header but no interactions")


def check_rows(file: str | Path, block_bytes: int = 1 << 24) -> None:
    """Every row of an atomic file has one tab-separated value per header column (empty values
    allowed); RecBole's reader would fill a short row with missing values without a word.
    Otherwise a DataError naming the file and the line. Read in 16 MB blocks."""
    file = Path(file)
    with open(file, "rb") as fh:
        columns = fh.readline().count(b"\t") + 1
        done, rest = 1, b""  # lines checked (the header is line 1), a line cut by the block's end
        while True:
            block = fh.read(block_bytes)
            text = rest + block
            if not block:
                if text.strip(b"\r\n"):
                    _check_block(file, text + b"\n", columns, done)
                return
            cut = text.rfind(b"\n") + 1
            text, rest = text[:cut], text[cut:]
            done = _check_block(file, text, columns, done)


def _check_block(file: Path, text: bytes, columns: int, done: int) -> int:
    """Check whole lines ``text`` (ending in a newline) that follow line ``done``; returns the last line's number."""
    import numpy as np

    raw = np.frombuffer(text, dtype=np.uint8)
    marks = np.flatnonzero((raw == 9) | (raw == 10))  # every tab and line end, in order
    ends = np.flatnonzero(raw[marks] == 10)  # which marks end a line
    tabs = np.diff(ends, prepend=-1) - 1  # tabs on each line
    for i in np.flatnonzero(tabs != columns - 1):
        end = int(marks[ends[i]])
        start = int(marks[ends[i - 1]]) + 1 if i else 0
        if tabs[i] == 0 and text[start:end] in (b"", b"\r"):
            continue  # a blank line: pandas skips it
        values = int(tabs[i]) + 1
        raise DataError(f"{file} line {done + int(i) + 1}: {values} tab-separated value{'s' * (values != 1)} under a "
                        f"header of {columns} columns (allowed: one value per column; a value may be empty)")
    return done + len(ends)
