"""`strikebench leaderboard verify` against forged leaderboards: one case per forgery.

A real leaderboard (Pop and ItemKNN at p = 0 and 0.3 on ML-100K; BPR too for the trained-model
cases) is copied, forged, and verified with one re-run cell. A forger may edit the manifest only,
or also rebuild leaderboard.csv / .md and their digests to match (:func:`rebuild_files`), so that
only the re-run can catch the forgery: both are tried.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from strikebench.app.cli import leaderboard_main
from strikebench.reporting.board_files import manifest_table
from strikebench.reporting.leaderboard import markdown, ranking_table, read_board
from strikebench.reporting.manifest import file_sha256

pytestmark = pytest.mark.slow  # a leaderboard of ML-100K cells, verified by running them again

NDCG = "incumbent/holdout/all/ndcg@10"


def build_board(tmp_path_factory, name: str, cells: list[list[str]]) -> Path:
    from strikebench.app.cell import run_cell
    from strikebench.app.sweep import compose_cell

    base = tmp_path_factory.mktemp(name)
    for cell in cells:
        run_cell(compose_cell([*cell, f"results_dir={base / 'results'}"]), log=lambda m: None)
    assert leaderboard_main([str(base / "results"), "--out", str(base / "board")]) == 0
    return base / "board"


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Path:
    return build_board(tmp_path_factory, "forgery", [[f"model={m}", f"strike.participation={p}"]
                                                     for m in ("pop", "itemknn") for p in (0, 0.3)])


class Forged:
    """A copy of a leaderboard folder to forge: its manifest as a dict, saved with :meth:`save`."""

    def __init__(self, board: Path, where: Path):
        self.folder = where / "board"
        shutil.copytree(board, self.folder)
        self.path = self.folder / "manifest.json"
        self.manifest = json.loads(self.path.read_text())

    def cell(self, model: str, p: float) -> dict:
        (cell,) = [c for c in self.manifest["cells"] if c["model"] == model and c["participation"] == p]
        return cell

    def save(self, rebuild: bool = False) -> str:
        if rebuild:
            rebuild_files(self.manifest, self.folder)
        self.path.write_text(json.dumps(self.manifest))
        return str(self.path)


def rebuild_files(manifest: dict, folder: Path) -> None:
    """What a careful forger does: leaderboard.csv / .md recomputed from the forged values, and
    their new digests in the manifest (the paired-test columns are kept as they were)."""
    settings = manifest["settings"]
    old = read_board(folder / "leaderboard.csv")
    ranking = ranking_table(manifest_table(manifest), settings)
    board = pd.concat([ranking, old[[c for c in old.columns if c.startswith("next_")]]], axis=1)
    board.to_csv(folder / "leaderboard.csv", index=False)
    (folder / "leaderboard.md").write_text(markdown(read_board(folder / "leaderboard.csv"), settings))
    for entry in manifest["files"].values():
        entry["sha256"] = file_sha256(folder / entry["name"])


def verify(path: str, *cells: str, extra=()) -> int:
    return leaderboard_main(["verify", path, *[a for key in cells for a in ("--cell", key)], *extra])


def test_an_honest_leaderboard_passes(board, tmp_path, capsys):
    forged = Forged(board, tmp_path)
    assert verify(forged.save(), forged.cell("Pop", 0.3)["cell_key"], forged.cell("ItemKNN", 0.3)["cell_key"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 cells reproduce the published values; the manifest and leaderboard files agree" in out
    assert "MISMATCH" not in out and "deterministic" in out


def test_a_rebuilt_honest_leaderboard_is_byte_identical(board, tmp_path):
    """rebuild_files is the leaderboard's own output when nothing was forged (so the forgeries
    below that use it differ from an honest leaderboard only in what they forged)."""
    forged = Forged(board, tmp_path)
    before = {p.name: p.read_bytes() for p in forged.folder.glob("leaderboard.*")}
    rebuild_files(forged.manifest, forged.folder)
    assert {p.name: p.read_bytes() for p in forged.folder.glob("leaderboard.*")} == before


@pytest.mark.parametrize("rebuild", [False, True], ids=["manifest only", "files rebuilt"])
def test_manifest_tolerance_of_1_and_ndcg_plus_0_3(board, tmp_path, capsys, rebuild):
    forged = Forged(board, tmp_path)
    forged.manifest["tolerances"] = {"deterministic_same_machine": 1, "deterministic": {"default": 1},
                                     "trained": {"default": 1}}
    pop = forged.cell("Pop", 0.3)
    pop["published"][NDCG] += 0.3
    assert verify(forged.save(rebuild), pop["cell_key"]) == 1
    out = capsys.readouterr().out
    assert "claims the tolerances" in out
    assert f"{NDCG}: published" in out and "> 1e-06" in out  # strikebench's tolerance, not the manifest's
    assert ("leaderboard.csv" in out) != rebuild  # the files give it away unless rebuilt


@pytest.mark.parametrize("rebuild", [False, True], ids=["manifest only", "files rebuilt"])
def test_pop_marked_not_deterministic_plus_0_01(board, tmp_path, capsys, rebuild):
    forged = Forged(board, tmp_path)
    pop = forged.cell("Pop", 0.3)
    pop["deterministic"] = False
    pop["published"][NDCG] += 0.01  # within the trained tolerance 0.02
    assert verify(forged.save(rebuild), pop["cell_key"]) == 1
    out = capsys.readouterr().out
    assert f"cell {pop['cell_key']}: deterministic: False, but Pop is deterministic" in out
    assert f"{NDCG}: published" in out and "(|Δ| = 0.01 > 1e-06)" in out


@pytest.mark.parametrize("rebuild", [False, True], ids=["manifest only", "files rebuilt"])
def test_a_cell_with_nothing_published(board, tmp_path, capsys, rebuild):
    forged = Forged(board, tmp_path)
    cell = forged.cell("ItemKNN", 0.3)
    cell["published"] = {}
    assert verify(forged.save(rebuild), cell["cell_key"]) == 1
    out = capsys.readouterr().out
    assert f"cell {cell['cell_key']}: published: incumbent/holdout/all lacks hit@10" in out
    assert "incumbent/company/all/hit@10: not published (the re-run gives" in out
    assert "MISMATCH (36)" in out  # 2 views x 3 groups x (5 metrics + n_users) of the incumbent


@pytest.mark.parametrize("change", ["missing", "extra"])
def test_a_missing_or_extra_metric(board, tmp_path, capsys, change):
    forged = Forged(board, tmp_path)
    cell = forged.cell("ItemKNN", 0.3)
    name = "incumbent/company/participants/mrr@10" if change == "missing" else "incumbent/holdout/all/ndcg@20"
    if change == "missing":
        del cell["published"][name]
    else:
        cell["published"][name] = 0.1
    assert verify(forged.save(rebuild=True), cell["cell_key"]) == 1
    out = capsys.readouterr().out
    assert ("incumbent/company/participants lacks mrr@10" if change == "missing" else "incumbent/holdout/all has ndcg@20, which the cell's other groups have not") in out
    assert (f"{name}: not published" if change == "missing" else f"{name}: published 0.1, but the re-run has no such value") in out


@pytest.mark.parametrize("digest", [False, True], ids=["old digest", "digest updated"])
def test_two_rows_of_the_csv_swapped(board, tmp_path, capsys, digest):
    forged = Forged(board, tmp_path)
    csv = forged.folder / "leaderboard.csv"
    lines = csv.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    csv.write_text("".join(lines))
    if digest:
        forged.manifest["files"]["csv"]["sha256"] = file_sha256(csv)
    assert verify(forged.save(), forged.cell("Pop", 0.3)["cell_key"]) == 1
    out = capsys.readouterr().out
    assert ("leaderboard.csv: its SHA-256 is not the manifest's" in out) != digest
    assert "MISMATCH leaderboard.csv row 1 model: " in out
    assert "MISMATCH leaderboard.md: is not the rendering of leaderboard.csv" in out


def test_an_edited_markdown(board, tmp_path, capsys):
    forged = Forged(board, tmp_path)
    md = forged.folder / "leaderboard.md"
    md.write_text(md.read_text().replace("| 1 | ItemKNN", "| 1 | Pop", 1))
    assert verify(forged.save(), forged.cell("Pop", 0.3)["cell_key"]) == 1
    out = capsys.readouterr().out
    assert "leaderboard.md: its SHA-256 is not the manifest's" in out and "is not the rendering" in out


def test_a_tampered_participants_hash(board, tmp_path, capsys):
    forged = Forged(board, tmp_path)
    cell = forged.cell("ItemKNN", 0.3)
    cell["participants_sha256"] = "0" * 64
    assert verify(forged.save(), cell["cell_key"]) == 1
    out = capsys.readouterr().out
    assert "participants differ from the published draw" in out
    assert "the manifest and leaderboard files agree" in out  # only the re-run sees it


def test_a_changed_config_no_longer_hashes_to_its_key(board, tmp_path, capsys):
    forged = Forged(board, tmp_path)
    cell = forged.cell("ItemKNN", 0.3)
    cell["config"]["split"]["seed"] = 7
    assert verify(forged.save(), forged.cell("Pop", 0.3)["cell_key"]) == 1
    assert f"cell {cell['cell_key']}: cell_key: '{cell['cell_key']}', but its config gives" in capsys.readouterr().out


EVIL = "import pathlib\npathlib.Path(__file__).with_name('imported').touch()\nclass Thing:\n    pass\n"


CODE_NAMES = {  # field -> where it is in a config
    "strike.lever.name": lambda config: config["strike"]["lever"],
    "strike.selector.name": lambda config: config["strike"]["selector"],
    "model.name": lambda config: config["model"],
}


@pytest.mark.parametrize("field", list(CODE_NAMES))
def test_a_manifest_never_makes_strikebench_import_code(board, tmp_path, capsys, monkeypatch, field):
    module = f"evil_{field.replace('.', '_')}"
    (tmp_path / f"{module}.py").write_text(EVIL)
    monkeypatch.syspath_prepend(str(tmp_path))
    forged = Forged(board, tmp_path)
    cell = forged.cell("ItemKNN", 0.3)
    CODE_NAMES[field](cell["config"])["name"] = f"{module}.Thing" if field == "model.name" else f"{module}:Thing"
    path = forged.save()
    assert verify(path, cell["cell_key"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{field}=" in line and "--allow-code" in line and module in line
    assert not (tmp_path / "imported").exists() and module not in sys.modules

    assert verify(path, cell["cell_key"], extra=["--allow-code"]) in (1, 2)  # runs it, then fails
    assert (tmp_path / "imported").exists()  # the flag is what lets code in
    sys.modules.pop(module, None)


def quote_first_ndcg(text: str) -> str:
    key = f'"{NDCG}": '
    start = text.index(key) + len(key)
    end = text.index("\n", start)
    return text[:start] + '"' + text[start:end].rstrip(",") + '"' + ("," if text[end - 1] == "," else "") + text[end:]


def edit(text: str, change) -> str:
    manifest = json.loads(text)
    change(manifest)
    return json.dumps(manifest)


BAD_MANIFESTS = {
    "truncated": lambda text: text[: len(text) // 2],
    "not an object": lambda text: "[1, 2]",
    "schema 1": lambda text: edit(text, lambda m: m.update(schema=1)),
    "a cell without its config": lambda text: edit(text, lambda m: m["cells"][0].pop("config")),
    "a value as text": quote_first_ndcg,
    "a file outside its folder": lambda text: edit(text, lambda m: m["files"]["csv"].update(name="../x.csv")),
}


@pytest.mark.parametrize("damage", list(BAD_MANIFESTS))
def test_a_bad_manifest_exits_2_with_one_line(board, tmp_path, capsys, damage):
    forged = Forged(board, tmp_path)
    forged.path.write_text(BAD_MANIFESTS[damage](forged.path.read_text()))
    assert verify(str(forged.path), "0123456789abcdef") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("strikebench leaderboard verify: error: ") and "Traceback" not in line


# --- a trained model (issue 16, item 4) -----------------------------------------------------------

@pytest.fixture(scope="module")
def trained_board(tmp_path_factory) -> Path:
    return build_board(tmp_path_factory, "trained", [[f"model={m}", f"strike.participation={p}", "trainer=tiny"]
                                                     for m in ("pop", "bpr") for p in (0, 0.3)])


@pytest.mark.parametrize("shift,code", [(0.0, 0), (0.015, 0), (0.03, 1)])
def test_a_trained_cell_within_and_beyond_its_tolerance(trained_board, tmp_path, capsys, shift, code):
    """BPR is held to 0.02 on NDCG (strikebench's rule for trained models), whatever the files say."""
    forged = Forged(trained_board, tmp_path)
    bpr = forged.cell("BPR", 0.3)
    assert bpr["deterministic"] is False
    bpr["published"][NDCG] += shift
    assert verify(forged.save(rebuild=True), bpr["cell_key"]) == code
    out = capsys.readouterr().out
    assert "the manifest and leaderboard files agree" in out and "trained" in out
    (worst,) = re.findall(r"(?:ok|MISMATCH): max \|Δ\| (\S+) \(tolerance 0.02 ", out)
    assert float(worst) == pytest.approx(shift, abs=0.005)  # same seed, same CPU: the re-run is (nearly) exact
    if code:
        assert f"{NDCG}: published" in out and "> 0.02)" in out
