"""Damaged result files: every reader names the file, sets it aside, warns and goes on.

A real results directory (Pop and ItemKNN at p = 0 and 0.3 on ML-100K) is copied for each case,
one file of the ItemKNN p = 0.3 cell (or a failure record) is damaged, and then each reader runs
on its own copy: the store's iterator, ``status``, ``summary``, ``report``, ``leaderboard``, and a
relaunch of the cell, which must run it again.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from strikebench.app.cli import main
from strikebench.app.plan import status_main
from strikebench.app.sweep import compose_cell
from strikebench.reporting.leaderboard import main as leaderboard_main
from strikebench.reporting.report import main as report_main
from strikebench.reporting.sweep_summary import main as summary_main
from strikebench.results import corrupt, failures, store
from strikebench.results.assemble import LEVER_ROWS

pytestmark = pytest.mark.slow  # a sweep on ML-100K, relaunched

CELLS = [["model=pop", "strike.participation=0"], ["model=pop", "strike.participation=0.3"],
         ["model=itemknn", "strike.participation=0"], ["model=itemknn", "strike.participation=0.3"]]
DAMAGED = CELLS[3]
A_FAILED_KEY = "0123456789abcdef"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[Path, str]:
    """The four cells, stored, and the key of the one the faults damage."""
    from strikebench.app.cell import run_cell

    out = tmp_path_factory.mktemp("faults") / "results"
    keys = [run_cell(compose_cell([*cell, f"results_dir={out}"]), log=lambda m: None).key for cell in CELLS]
    return out, keys[-1]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def wrong_type(path: Path) -> None:
    record = json.loads(path.read_text())
    record["companies"]["incumbent"]["metrics"]["holdout"]["all"]["ndcg@10"] = "0.27"
    path.write_text(json.dumps(record))


def failure_record(results: Path) -> Path:
    path = failures.failures_dir(results) / f"{A_FAILED_KEY}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cell_key": A_FAILED_KEY, "cell": "model=bpr", "error": "RuntimeError: x",
                                "last_lines": ["RuntimeError: x"]}))
    return path


# fault -> (the damaged file, relative to the damaged cell's folder or the results dir; damage)
FAULTS = {
    "record.json truncated": (store.RECORD, truncate),
    "record.json is {}": (store.RECORD, lambda p: p.write_text("{}")),
    "record.json with a metric as text": (store.RECORD, wrong_type),
    "per_user.parquet truncated": (store.PER_USER, truncate),
    "lever_rows.parquet truncated": (LEVER_ROWS, truncate),
    "failure record truncated": (None, truncate),
}
CELL_FAULTS = [f for f, (name, _) in FAULTS.items() if name]


def damaged_copy(results: Path, key: str, fault: str, where: Path) -> Path:
    """A copy of ``results`` with ``fault`` applied; returns the damaged file."""
    copy = where / "results"
    shutil.copytree(results, copy)
    name, damage = FAULTS[fault]
    path = store.cell_dir(copy, key) / name if name else failure_record(copy)
    damage(path)
    return path


def set_aside_once(results: Path, damaged: Path) -> str:
    """The damaged file is under corrupt/ (once) with the reason, and gone from where it was."""
    ((name, reason),) = corrupt.set_aside_entries(results)
    assert not damaged.exists() and str(damaged) in reason
    moved = corrupt.corrupt_dir(results) / name
    assert (moved / damaged.name).is_file()
    return reason


READERS = {
    "store": lambda r, out: len(list(store.iter_records(r))),
    "status": lambda r, out: status_main([str(r)]),
    "summary": lambda r, out: summary_main([str(r), "--out", str(out)]),
    "report": lambda r, out: report_main([str(r), "--out", str(out)]),
    "leaderboard": lambda r, out: leaderboard_main([str(r), "--out", str(out)]),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_reader_names_sets_aside_and_goes_on(results, fault, tmp_path, capsys):
    source, key = results
    for reader, run in READERS.items():
        case = tmp_path / reader
        damaged = damaged_copy(source, key, fault, case)
        copy = case / "results"
        got = run(copy, case / "out")
        out, err = capsys.readouterr()
        whole = 3 if FAULTS[fault][0] else 4  # cells left whole
        assert got == (whole if reader == "store" else 0), (reader, err[-2000:])
        warnings = [line for line in err.splitlines() if line.startswith("strikebench: warning:")]
        if not FAULTS[fault][0] and reader != "status":  # only status reads the failure records
            assert not warnings and damaged.is_file()
            continue
        assert len(warnings) == 1 and str(damaged) in warnings[0], (reader, err[-2000:])
        reason = set_aside_once(copy, damaged)
        if reader == "status":
            assert f"{whole} done, 0 running, 0 failed" in out and "1 set aside as corrupt" in out and reason in out
    assert len(list(store.iter_records(source))) == 4  # the shared results were never touched


@pytest.mark.parametrize("fault", CELL_FAULTS)
def test_a_relaunch_runs_a_damaged_cell_again(results, fault, tmp_path, capsys):
    source, key = results
    damaged = damaged_copy(source, key, fault, tmp_path)
    copy = tmp_path / "results"
    assert not store.is_done(copy, key)  # not done: set aside
    set_aside_once(copy, damaged)
    assert main([*DAMAGED, f"results_dir={copy}"]) == 0
    assert "[done] ItemKNN strike p=0.3" in capsys.readouterr().out
    records = {r["cell_key"]: r for r in store.iter_records(copy)}
    assert len(records) == 4 and key in records
    again = store.load_cell(store.cell_dir(copy, key))
    assert again == records[key]
    assert (store.cell_dir(copy, key) / LEVER_ROWS).is_file()


def test_a_relaunched_sweep_that_finds_a_damaged_cell_runs_only_that_one(results, tmp_path):
    source, key = results
    damaged_copy(source, key, "record.json is {}", tmp_path)
    copy = tmp_path / "results"
    from strikebench.app.plan import plan_cells

    cells = plan_cells(["model=pop,itemknn", "strike.participation=0,0.3", f"results_dir={copy}"])
    assert [c["key"] for c in cells if not c["done"]] == [key]
