"""Do ``leaderboard.csv`` and ``leaderboard.md`` agree with their manifest and with each other?

- Each file's SHA-256 is the one the manifest recorded when the leaderboard was written.
- The ranking columns of the csv are recomputed from the manifest's published values with the
  leaderboard's own code (:func:`strikebench.reporting.leaderboard.ranking_table`), with the
  manifest's ranking settings, and must be the csv's (rows in order, values to 1e-9). The paired
  tests (``next_*``) need the per-user tables, which the manifest does not hold: the digest
  covers them.
- ``leaderboard.md`` is exactly what :func:`strikebench.reporting.leaderboard.markdown` renders
  from the csv.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.analysis.table import validate_results_table
from strikebench.reporting.leaderboard import markdown, ranking_table, read_board
from strikebench.reporting.manifest import file_sha256
from strikebench.results.study import describe_study

_ATOL = 1e-9
_COLUMNS = ["study", "dataset", "model", "family", "lever", "selector", "company", "view", "participation",
            "seed", "group", "metric", "value", "n_users", "cell_key"]


def manifest_table(manifest: dict) -> pd.DataFrame:
    """The long results table of the manifest's published values (companies that trained)."""
    rows = []
    for cell in manifest["cells"]:
        # the study from the cell's own config (as its record has it), never from a claim beside it
        keys = {"study": describe_study(cell["config"])["id"], "dataset": cell["dataset"], "model": cell["model"],
                "family": cell["config"]["model"].get("family"), "lever": cell["lever"], "selector": cell["selector"],
                "participation": float(cell["participation"]), "seed": int(cell["seed"]), "cell_key": cell["cell_key"]}
        published = cell["published"]
        for name, value in published.items():
            company, view, group, metric = name.split("/")
            if metric == "n_users" or cell["companies"].get(company) != "ok":
                continue
            rows.append({**keys, "company": company, "view": view, "group": group, "metric": metric,
                         "value": value, "n_users": published.get(f"{company}/{view}/{group}/n_users")})
    return validate_results_table(pd.DataFrame(rows, columns=_COLUMNS))


def _same(a, b) -> bool:
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return bool(np.isclose(float(a), float(b), rtol=_ATOL, atol=_ATOL))
    return str(a) == str(b)


def board_differences(written: pd.DataFrame, recomputed: pd.DataFrame, name: str, limit: int = 5) -> list[str]:
    """Where the written csv's ranking columns differ from the recomputed ranking."""
    expected = pd.read_csv(io.StringIO(recomputed.to_csv(index=False)))  # the same round trip as the file
    columns = list(expected.columns)
    if list(written.columns[: len(columns)]) != columns:
        return [f"{name}: its columns are not the leaderboard's ({', '.join(columns)} first)"]
    if len(written) != len(expected):
        return [f"{name}: {len(written)} rows, but the manifest's values rank {len(expected)}"]
    problems = []
    for i in range(len(expected)):
        for column in columns:
            if not _same(written.at[i, column], expected.at[i, column]):
                where = "/".join(str(expected.at[i, c]) for c in ("dataset", "lever", "selector", "model"))
                problems.append(f"{name} row {i + 1} {column}: {written.at[i, column]}, but the manifest's values "
                                f"give {expected.at[i, column]} ({where})")
    return problems[:limit] + ([f"{name}: ... {len(problems) - limit} more differences"] if len(problems) > limit else [])


def file_problems(manifest: dict, folder: Path) -> list[str]:
    """Every way the leaderboard files in ``folder`` disagree with ``manifest`` or with each other."""
    files = {kind: Path(folder) / entry["name"] for kind, entry in manifest["files"].items()}
    problems = []
    for kind, path in files.items():
        if not path.is_file():
            problems.append(f"{path.name}: missing beside the manifest")
        elif file_sha256(path) != manifest["files"][kind]["sha256"]:
            problems.append(f"{path.name}: its SHA-256 is not the manifest's (changed after the manifest was written)")
    if not files["csv"].is_file():
        return problems
    settings = manifest["settings"]
    written = pd.read_csv(files["csv"])
    try:
        recomputed = ranking_table(manifest_table(manifest), settings)
    except Exception as exc:  # noqa: BLE001 - any failure to recompute is a disagreement to report
        problems.append(f"the ranking cannot be recomputed from the manifest's values: {type(exc).__name__}: {exc}")
    else:
        problems += board_differences(written, recomputed, files["csv"].name)
    if files["markdown"].is_file():
        try:
            rendered = markdown(read_board(files["csv"]), settings)
        except Exception as exc:  # noqa: BLE001 - a csv the markdown cannot be rendered from
            rendered = f"({type(exc).__name__}: {exc})"
        if rendered != files["markdown"].read_text(encoding="utf-8"):
            problems.append(f"{files['markdown'].name}: is not the rendering of {files['csv'].name}")
    return problems
