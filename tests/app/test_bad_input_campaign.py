"""Issue 12's bad-input campaign, case by case, through the command line.

Each refused case exits 2 with one line (``strikebench: error: FIELD: ...``) that names the field
and what is allowed, without a traceback, and writes nothing: no record, no failure note, no half
file. Most run in this process and stop before Hydra starts; the full disk, met only when the
record is written after training, runs in a subprocess. The cases that are not refused (ratios
that do not sum to 1, repeated rows) are checked for what they do instead.
"""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from strikebench.app.cli import main
from tests.conftest import write_atomic

START = 883_612_800  # 1998-01-01 00:00:00 UTC
HOUR = 3600


def tiny_rows(n_users: int = 6, per_user: int = 10) -> list[tuple]:
    """User u rates items i1..i<per_user>, one an hour from 1998-01-01 00:00 UTC on."""
    rows, t = [], 0
    for u in range(1, n_users + 1):
        for i in range(1, per_user + 1):
            rows.append((f"u{u}", f"i{(u + i) % 12 + 1}", (u + i) % 5 + 1, START + t * HOUR))
            t += 1
    return rows


def dataset_args(root: Path, name: str = "tiny") -> list[str]:
    """ML-100K's entry, pointed at ``<root>/<name>/<name>.inter`` alone."""
    return [f"dataset.name={name}", "dataset.source=manual", "dataset.instructions=by hand",
            "~dataset.recbole.load_col.user", "~dataset.recbole.load_col.item", f"data_root={root}"]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_atomic(root, "tiny", tiny_rows())
    return root


@pytest.fixture
def cli(capsys):
    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return run


def assert_refused(result, needles, results: Path) -> None:
    """Exit 2, one error line naming every needle, no traceback, and nothing under ``results``."""
    assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("strikebench: error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    written = [p for p in results.rglob("*") if p.is_file()] if results.exists() else []
    assert written == [], written


# (overrides on the tiny dataset, what the error line must say)
CASES = {
    "seed=-1": (["seed=-1"], ["seed: ", "-1", "0 <= seed <= 4294967295"]),
    "~seed": (["~seed"], ["seed: missing", "0 <= seed <= 4294967295"]),
    "seed=1.5": (["seed=1.5"], ["seed: ", "1.5"]),
    "split.seed=-1": (["split.seed=-1"], ["split.seed: ", "0 <= split.seed <= 4294967295"]),
    "ratios [1,0,0]": (["split.ratios=[1,0,0]"], ["split.ratios: ", "[1, 0, 0]", "three positive shares",
                                                   "divided by their sum"]),
    "ratios without valid": (["split.ratios=[0.9,0,0.1]"], ["split.ratios: ", "three positive shares"]),
    "ratios without train": (["split.ratios=[0,0.5,0.5]"], ["split.ratios: ", "three positive shares"]),
    "two ratios": (["split.ratios=[0.8,0.2]"], ["split.ratios: ", "three positive shares"]),
    "ratio as text": (["split.ratios=[a,1,1]"], ["split.ratios: ", "three positive shares"]),
    "negative ratio": (["split.ratios=[0.9,0.2,-0.1]"], ["split.ratios: ", "three positive shares"]),
    "temporal strike after the data": (
        ["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=2030-01-01"],
        ["strike.lever.after: 2030-01-01 00:00:00 UTC (1893456000) is outside dataset 'tiny'",
         "from 1998-01-01 00:00:00 UTC (883612800) to 1998-01-03 11:00:00 UTC (883825200)"]),
    "temporal strike at the data's end": (
        ["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=883825200"],
        ["strike.lever.after: ", "(883825200) is outside dataset 'tiny'", "not including, the last"]),
    "temporal strike before the data": (
        ["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=1997-12-31"],
        ["strike.lever.after: 1997-12-31 00:00:00 UTC (883526400) is outside dataset 'tiny'"]),
    "unknown rm_dup_inter": (["+dataset.recbole.rm_dup_inter=all"],
                             ["dataset.recbole.rm_dup_inter: unknown setting 'all'", "first, last"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_is_refused_before_training(cli, tiny_root, tmp_path, case):
    overrides, needles = CASES[case]
    results = tmp_path / "results"
    result = cli("model=pop", "strike.participation=0.5", *dataset_args(tiny_root), *overrides,
                 f"results_dir={results}")
    assert_refused(result, needles, results)


# --- atomic files: (rows, the line at fault) -------------------------------------------------------
def short_row(rows):
    rows[3] = rows[3][:2]  # file line 5: user and item, no rating or timestamp
    return rows


def long_row(rows):
    rows[6] = (*rows[6], "extra")  # file line 8
    return rows


def short_last_row(rows):
    rows[-1] = rows[-1][:3]  # the last line, without a newline after it (written below)
    return rows


FILES = {"a row lacks columns": (short_row, 5), "a row has a column too many": (long_row, 8),
         "the last row lacks a column": (short_last_row, 61)}


@pytest.mark.parametrize("case", list(FILES))
def test_inter_file_rows_must_fill_the_header(cli, tmp_path, case):
    damage, line = FILES[case]
    folder = write_atomic(tmp_path / "data", "tiny", damage(tiny_rows()))
    inter = folder / "tiny.inter"
    inter.write_text(inter.read_text().rstrip("\n"))  # also: a last line without its newline
    results = tmp_path / "results"
    result = cli("model=pop", *dataset_args(tmp_path / "data"), f"results_dir={results}")
    assert_refused(result, [f"{inter} line {line}: ", "header of 4 columns"], results)
    cache = tmp_path / "data" / ".cache"
    assert not cache.exists() or [p for p in cache.rglob("*") if p.is_file()] == []  # no half cache entry


def test_a_file_read_without_the_cache_is_checked_too(tmp_path):
    from strikebench.data.interactions import load_interactions
    from strikebench.errors import DataError
    from tests.conftest import TINY_SETTINGS

    folder = write_atomic(tmp_path, "tiny", short_row(tiny_rows()))
    with pytest.raises(DataError, match=r"tiny.inter line 5: 2 tab-separated values under a header of 4"):
        load_interactions("tiny", folder, TINY_SETTINGS)


# --- folders that cannot be written ---------------------------------------------------------------
@pytest.fixture
def read_only(monkeypatch):
    """read_only(folder): the folder refuses new files and folders. chmod does it for a normal
    user; as root (CI) chmod does not bind, so the OS calls answer as they would (EACCES)."""

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        if os.access(folder, os.W_OK):  # root
            for name in ("open", "mkdir"):
                real = getattr(os, name)

                def refuse(path, *args, _real=real, **kwargs):
                    if Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve()):
                        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
                    return _real(path, *args, **kwargs)

                monkeypatch.setattr(os, name, refuse)
        return folder

    yield make


@pytest.mark.parametrize("field", ["results_dir", "work_dir"])
def test_a_read_only_folder_is_refused_before_training(cli, tiny_root, tmp_path, read_only, field):
    results = tmp_path / "results"
    folder = read_only(tmp_path / "locked")
    target = folder / "sub" if field == "results_dir" else folder
    overrides = [f"results_dir={target}"] if field == "results_dir" else [f"results_dir={results}", f"work_dir={target}"]
    result = cli("model=pop", *dataset_args(tiny_root), *overrides)
    assert_refused(result, [f"{field}: cannot write to {target}", "Permission denied", "a folder this process can write to"],
                   results)
    assert list(folder.iterdir()) == []


FULL_DISK = """
import errno, os, sys
def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
os.fsync = full    # the record's flush to disk
os.replace = full  # the failure note's rename (results/atomic.py atomic_file)
from strikebench.app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_full_disk_is_one_line_naming_the_record(tiny_root, tmp_path):
    from strikebench.app.cell import resolved_config
    from strikebench.app.sweep import compose_cell
    from strikebench.results.keys import cell_key

    results = tmp_path / "results"
    args = ["model=pop", "trainer=tiny", *dataset_args(tiny_root), f"results_dir={results}"]
    run = subprocess.run([sys.executable, "-c", FULL_DISK, *args], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    key = cell_key(resolved_config(compose_cell(args)))
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert f"strikebench: error: cannot write the record to {results / 'cells' / key}: No space left on device" \
        in run.stderr.splitlines()
    assert f"strikebench: warning: cannot write the failure note {results / 'failed' / key}.json" in run.stderr
    assert not list(results.rglob("record.json")) and not list(results.rglob(".tmp-*"))
    assert not (results / "failed").exists() or list((results / "failed").iterdir()) == []


# --- not refused: ratios are normalised as RecBole does ----------------------------------------
def test_ratios_are_normalised_as_recbole_does_and_recorded(tiny_root):
    from strikebench.app.cell import resolved_config
    from strikebench.app.sweep import compose_cell
    from strikebench.results.keys import cell_key

    def cell(*overrides):
        config = resolved_config(compose_cell(["model=pop", *dataset_args(tiny_root), *overrides]))
        return config["split"]["ratios"], cell_key(config)

    default_ratios, default_key = cell()
    assert cell("split.ratios=[8,1,1]") == (default_ratios, default_key) and default_ratios == [0.8, 0.1, 0.1]
    assert cell("split.ratios=[0.5,0.3,0.1]")[0] == [0.5 / 0.9, 0.3 / 0.9, 0.1 / 0.9]


def test_a_split_with_ratios_not_summing_to_one_gives_recboles_counts(tmp_path):
    """A user with 30 interactions and ratios [0.5, 0.3, 0.1]: RecBole's split_by_ratio divides by
    the sum (0.9), so valid gets int(30 * 0.3 / 0.9) = 10 and test int(30 * 0.1 / 0.9) = 3, train the
    17 left (unnormalised it would be 18 / 9 / 3). Its own Dataset says the same."""
    from strikebench.data.interactions import load_interactions
    from strikebench.data.split import make_split
    from tests.conftest import TINY_SETTINGS

    folder = write_atomic(tmp_path, "thirty", tiny_rows(n_users=2, per_user=30))
    data = load_interactions("thirty", folder, TINY_SETTINGS)
    split = make_split(data.user, data.timestamp, {"seed": 1, "order": "RO", "mode": "RS", "ratios": [0.5, 0.3, 0.1]})
    counts = [np.bincount(data.user[getattr(split, part)], minlength=3)[1:].tolist() for part in ("train", "valid", "test")]
    assert counts == [[17, 17], [10, 10], [3, 3]]
    parts = data.recbole_dataset.split_by_ratio([0.5, 0.3, 0.1], group_by=data.recbole_dataset.uid_field)
    recbole_counts = [np.bincount(p.inter_feat[p.uid_field].numpy(), minlength=3)[1:].tolist() for p in parts]
    assert recbole_counts == counts


# --- not refused: repeated rows are counted, and removed as rm_dup_inter says --------------------
def doubled_rows() -> list[tuple]:
    """Every row of the tiny dataset twice, the copy an hour later (so 'first' keeps the original)."""
    rows = tiny_rows()
    return rows + [(u, i, r, t + 100 * HOUR) for u, i, r, t in rows]


@pytest.mark.parametrize("setting, found, removed, rows", [(None, 60, 0, 120), ("first", 60, 60, 60),
                                                           ("last", 60, 60, 60)])
def test_repeated_rows_are_counted_warned_and_removed_as_recbole_says(tmp_path, caplog, setting, found, removed, rows):
    from strikebench.data.preprocessed import load_with_cache
    from tests.conftest import TINY_SETTINGS

    folder = write_atomic(tmp_path / "data", "twice", doubled_rows())
    settings = {**TINY_SETTINGS, "rm_dup_inter": setting}
    split_cfg = {"seed": 0, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}
    for expected_load in ("miss", "hit"):  # a cache hit has the count too, without counting again
        caplog.clear()
        data, _, info = load_with_cache("twice", folder, settings, split_cfg, tmp_path / "cache")
        assert info["data"] == expected_load
        assert data.duplicates == {"found": found, "removed": removed, "rm_dup_inter": setting}
        assert len(data) == rows
        (line,) = [r.getMessage() for r in caplog.records if "repeating a user-item pair" in r.getMessage()]
        assert (f"removed {removed} rows" if removed else f"kept {found} rows") in line
    if setting == "first":  # the originals stay: their timestamps are the earlier ones
        assert data.timestamp.max() < START + 100 * HOUR


def test_a_record_says_how_many_repeated_rows_it_kept(tmp_path):
    from strikebench.app.cell import run_cell
    from strikebench.app.sweep import compose_cell

    write_atomic(tmp_path / "data", "twice", doubled_rows())
    cfg = compose_cell(["model=pop", "trainer=tiny", *dataset_args(tmp_path / "data", "twice"),
                        f"results_dir={tmp_path / 'results'}"])
    record = run_cell(cfg, log=lambda m: None).record
    assert record["dataset"]["duplicate_interactions"] == {"found": 60, "removed": 0, "rm_dup_inter": None}
    assert record["dataset"]["n_interactions"] == 120
