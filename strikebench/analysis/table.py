"""The results table: load it, check it, fill its documented defaults (docs/results-table.md).

Every measure in ``strikebench.analysis`` takes the *validated* long table that
:func:`validate_results_table` returns: one row per study x dataset x model x lever x selector x
company x view x participation x seed x group x metric, optional columns filled with their defaults.
Rows of different studies are never compared (``studies.py``).
The per-user table (paired tests, boycott accounting) is checked by :func:`validate_per_user_table`.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.errors import StrikebenchError
from strikebench.results.vocabulary import GROUPS, VIEWS

# --- column names ---------------------------------------------------------------------------
STUDY = "study"
SEED = "seed"
VALUE = "value"
N_USERS = "n_users"
USER = "user"
PARTICIPANT = "participant"

#: Every key of a results-table row, in the documented order.
KEYS: tuple[str, ...] = (
    "study", "dataset", "model", "family", "lever", "selector", "company", "view",
    "participation", "seed", "group", "metric",
)
#: A cell: everything but the seed. Means and CIs are taken over the seeds of one cell.
CELL_KEYS: tuple[str, ...] = tuple(k for k in KEYS if k != SEED)
#: A curve: a cell without its participation. Thresholds and crossings are found along a curve.
CURVE_KEYS: tuple[str, ...] = tuple(k for k in CELL_KEYS if k != "participation")
#: Columns a results table must have.
REQUIRED: tuple[str, ...] = ("model", "participation", "metric", "value")
#: Documented defaults for the optional key columns (also used for empty cells in them).
DEFAULTS: dict[str, object] = {
    "study": "study",
    "dataset": "dataset",
    "family": "unknown",
    "lever": "strike",
    "selector": "random",
    "company": "incumbent",
    "view": "holdout",
    "seed": 0,
    "group": "all",
}
STRING_COLUMNS: tuple[str, ...] = (
    "study", "dataset", "model", "family", "lever", "selector", "company", "view", "group", "metric",
)
#: Allowed values of the closed vocabularies.
ALLOWED: dict[str, tuple[str, ...]] = {
    "company": ("incumbent", "competitor"),
    "view": VIEWS,
    "group": GROUPS,
}
#: Keys of the per-user table (the results-table keys without ``group``), then ``user``.
PER_USER_KEYS: tuple[str, ...] = tuple(k for k in KEYS if k not in ("group", "metric"))
PER_USER_REQUIRED: tuple[str, ...] = ("model", "participation", USER, PARTICIPANT)

#: Optional same-user baseline columns: ``p0:<model>`` holds that model's value at p = 0 over
#: exactly the users of the row's group (``baselines.py``).
BASELINE_PREFIX = "p0:"

#: Metric names (the part before ``@``) where lower is better; every other metric is higher-better.
LOWER_IS_BETTER: frozenset[str] = frozenset({"rmse", "mae", "mse", "loss", "logloss", "error"})

_NA_STRINGS = ["", "NaN", "nan", "NA", "N/A", "n/a", "null", "NULL", "None", "<NA>"]


class ResultsTableError(StrikebenchError, ValueError):
    """A results table is missing a column or holds a value of the wrong type; names the column."""

    def __init__(self, column: str | None, problem: str):
        self.column = column
        super().__init__(f"{column}: {problem}" if column else problem)


def is_lower_better(metric: str, lower_is_better: Collection[str] | None = None) -> bool:
    """True when smaller values of ``metric`` are better.

    ``lower_is_better`` lists metric names (full, e.g. ``"rmse"``, or base before ``@``) to treat
    as lower-is-better; None uses :data:`LOWER_IS_BETTER` (rmse, mae, mse, loss, logloss, error).
    """
    names = LOWER_IS_BETTER if lower_is_better is None else frozenset(lower_is_better)
    metric = str(metric).lower()
    return metric in names or metric.split("@", 1)[0] in names


def metric_sign(metric: str, lower_is_better: Collection[str] | None = None) -> float:
    """s = +1 for a higher-is-better metric, -1 for a lower-is-better one (s * value is 'goodness')."""
    return -1.0 if is_lower_better(metric, lower_is_better) else 1.0


# --- loading --------------------------------------------------------------------------------
def _read(path: str | Path, string_columns: Iterable[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"results table not found: {path}")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            strings = set(string_columns)
            header = pd.read_csv(path, nrows=0, sep="\t" if ".tsv" in name else ",").columns
            na_values = {c: ([""] if c in strings else _NA_STRINGS) for c in header}
            return pd.read_csv(
                path, sep="\t" if ".tsv" in name else ",",
                dtype={c: str for c in header if c in strings},
                keep_default_na=False, na_values=na_values,
            )
    except (ValueError, OSError, pd.errors.ParserError) as err:  # corrupt file
        raise ResultsTableError(None, f"cannot read {path}: {err}") from err
    raise ResultsTableError(None, f"{path}: unknown table format (use .csv, .csv.gz, .tsv or .parquet)")


def load_results_table(path: str | Path) -> pd.DataFrame:
    """Read a results table from CSV (``.csv``, ``.csv.gz``, ``.tsv``) or Parquet and validate it.

    Returns :func:`validate_results_table`'s normalised copy. Raises :class:`ResultsTableError`
    (a ``ValueError``) naming the column for a missing required column or a bad value, and
    ``FileNotFoundError`` for a missing file.
    """
    return validate_results_table(_read(path, STRING_COLUMNS))


def load_per_user_table(path: str | Path, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a per-user table (CSV or Parquet) and validate it with :func:`validate_per_user_table`."""
    strings = tuple(c for c in STRING_COLUMNS if c not in ("group", "metric")) + (USER,)
    return validate_per_user_table(_read(path, strings), metrics=metrics)


# --- validation -----------------------------------------------------------------------------
def _require_frame(table) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ResultsTableError(None, f"expected a pandas DataFrame, got {type(table).__name__}")


def _strings(df: pd.DataFrame, column: str, required: bool) -> None:
    col = df[column]
    missing = col.isna() | (col.astype(str).str.strip() == "")
    if missing.any():
        if required:
            row = missing.to_numpy().nonzero()[0][0]
            raise ResultsTableError(column, f"empty value in required column (row {row})")
        col = col.where(~missing, DEFAULTS[column])
    df[column] = col.astype(str).str.strip()


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    raw = df[column]
    if raw.dtype == bool:
        raise ResultsTableError(column, "must be numeric, got booleans")
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna()
    if bad.any():
        row = bad.to_numpy().nonzero()[0][0]
        raise ResultsTableError(column, f"must be numeric, got {raw.iloc[row]!r} (row {row})")
    return num.astype(float)


def _integers(df: pd.DataFrame, column: str, default=None) -> pd.Series:
    num = _numeric(df, column)
    if default is not None:
        num = num.fillna(default)
    finite = num.dropna()
    frac = finite[(finite != np.round(finite)) | ~np.isfinite(finite)]
    if len(frac):
        raise ResultsTableError(column, f"must be an integer, got {frac.iloc[0]!r}")
    return num.astype("Int64")


def _common(df: pd.DataFrame, string_columns: Iterable[str]) -> pd.DataFrame:
    for column in string_columns:
        if column not in df.columns:
            df[column] = DEFAULTS[column]
        _strings(df, column, required=column not in DEFAULTS)
    for column, allowed in ALLOWED.items():
        if column in df.columns:
            bad = sorted(set(df[column]) - set(allowed))
            if bad:
                raise ResultsTableError(column, f"unknown value {bad[0]!r} (allowed: {', '.join(allowed)})")
    p = _numeric(df, "participation")
    if p.isna().any():
        raise ResultsTableError("participation", "missing value")
    outside = p[(p < 0) | (p > 1)]
    if len(outside):
        raise ResultsTableError("participation", f"must be in [0, 1], got {outside.iloc[0]!r}")
    df["participation"] = p
    if SEED not in df.columns:
        df[SEED] = DEFAULTS[SEED]
    df[SEED] = _integers(df, SEED, default=DEFAULTS[SEED]).astype("int64")
    if N_USERS in df.columns:
        n = _integers(df, N_USERS)
        if (n.dropna() < 0).any():
            raise ResultsTableError(N_USERS, "must be >= 0")
        df[N_USERS] = n
    return df


def _no_duplicates(df: pd.DataFrame, keys: list[str], what: str) -> None:
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        first = df.loc[dup, keys].iloc[0].to_dict()
        raise ResultsTableError(None, f"duplicate {what} rows for the same keys, e.g. {first}")


def validate_results_table(table: pd.DataFrame) -> pd.DataFrame:
    """Check a long results table and return a normalised copy.

    Required columns: model, participation, metric, value. Optional key columns get their documented
    defaults (study='study', dataset='dataset', family='unknown', lever='strike', selector='random',
    company='incumbent', view='holdout', seed=0, group='all'), both when the column is absent and
    for empty cells. Checks: participation numeric in [0, 1]; value and the same-user baseline
    columns ``p0:<model>`` numeric (NaN allowed: an empty group); seed and n_users integers;
    company / view / group in their documented vocabularies; no two rows with the same keys.
    Metric names are lower-cased. Extra columns are kept, after ``KEYS + (value, n_users)``.
    Errors are :class:`ResultsTableError` naming the column.
    """
    _require_frame(table)
    df = table.copy().reset_index(drop=True)
    for column in REQUIRED:
        if column not in df.columns:
            raise ResultsTableError(column, "missing required column")
    df = _common(df, STRING_COLUMNS)
    df["metric"] = df["metric"].str.lower()
    df[VALUE] = _numeric(df, VALUE)
    for column in df.columns:
        if str(column).startswith(BASELINE_PREFIX):
            df[column] = _numeric(df, column)
    _no_duplicates(df, list(KEYS), "results")
    front = list(KEYS) + [VALUE] + ([N_USERS] if N_USERS in df.columns else [])
    return df[front + [c for c in df.columns if c not in front]]


def validate_per_user_table(table: pd.DataFrame, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Check a per-user table and return a normalised copy.

    Required: model, participation, user, participant, and at least one metric column. Key columns
    are the results-table keys without group and metric (defaults filled as in :func:`validate_results_table`);
    ``user`` becomes a string, ``participant`` a bool (accepts bool, 0/1, true/false, yes/no).
    Metric columns are ``metrics`` when given (each must exist), else every column named like
    ``name@k`` (plus rmse / mae ...); each must be numeric. Other columns (``fallback``,
    ``in_company``, ``cell_key`` ...) are kept as they are. No two rows may share the keys and user.
    """
    _require_frame(table)
    df = table.copy().reset_index(drop=True)
    for column in PER_USER_REQUIRED:
        if column not in df.columns:
            raise ResultsTableError(column, "missing required column")
    df = _common(df, [c for c in STRING_COLUMNS if c not in ("group", "metric")])
    users = df[USER]
    if users.isna().any():
        raise ResultsTableError(USER, "missing value")
    df[USER] = users.astype(str)
    df[PARTICIPANT] = _booleans(df[PARTICIPANT])
    metric_columns = per_user_metrics(df) if metrics is None else list(metrics)
    if not metric_columns:
        raise ResultsTableError(None, "per-user table has no metric column (e.g. 'hit@10')")
    for column in metric_columns:
        if column not in df.columns:
            raise ResultsTableError(column, "missing metric column")
        df[column] = _numeric(df, column)
    _no_duplicates(df, list(PER_USER_KEYS) + [USER], "per-user")
    front = list(PER_USER_KEYS) + [USER, PARTICIPANT]
    return df[front + [c for c in df.columns if c not in front]]


def per_user_metrics(per_user: pd.DataFrame) -> list[str]:
    """The metric columns of a per-user table: every column named like ``name@k``, plus rmse / mae ..."""
    known = set(PER_USER_KEYS) | {USER, PARTICIPANT, N_USERS}
    return [c for c in per_user.columns if c not in known and "@" in str(c) or c in LOWER_IS_BETTER]


def as_per_user(per_user: pd.DataFrame, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """``per_user`` unchanged when it already has every key (validated before), else validated."""
    need = set(PER_USER_KEYS) | {USER, PARTICIPANT} | set(metrics or ())
    if isinstance(per_user, pd.DataFrame) and need <= set(per_user.columns):
        return per_user
    return validate_per_user_table(per_user, metrics=metrics)


def _booleans(col: pd.Series) -> pd.Series:
    if col.dtype == bool:
        return col
    mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
               "1.0": True, "0.0": False, "t": True, "f": False}
    out = col.map(lambda v: mapping.get(str(v).strip().lower()) if not isinstance(v, bool) else v)
    bad = out.isna()
    if bad.any():
        row = bad.to_numpy().nonzero()[0][0]
        raise ResultsTableError(PARTICIPANT, f"must be a boolean, got {col.iloc[row]!r} (row {row})")
    return out.astype(bool)
