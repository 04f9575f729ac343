"""The results-table loader: formats, defaults, and errors that name the column."""
import numpy as np
import pandas as pd
import pytest

from strikebench.analysis.table import (
    CELL_KEYS, DEFAULTS, KEYS, ResultsTableError, is_lower_better, load_per_user_table,
    load_results_table, validate_per_user_table, validate_results_table,
)
from strikebench.errors import StrikebenchError


def minimal():
    return pd.DataFrame({
        "model": ["BPR", "BPR", "Pop"],
        "participation": [0.0, 0.3, 0.0],
        "metric": ["NDCG@10", "ndcg@10", "ndcg@10"],
        "value": [0.4, np.nan, 0.1],
    })


def full():
    return pd.DataFrame({
        "dataset": ["ml-100k"] * 2, "model": ["BPR"] * 2, "family": ["mf"] * 2,
        "lever": ["strike"] * 2, "selector": ["attribute:gender=F"] * 2,
        "company": ["incumbent", "competitor"], "view": ["holdout", "company"],
        "participation": [0.0, 0.5], "seed": [3, 4], "group": ["all", "participants"],
        "metric": ["hit@10"] * 2, "value": [0.5, 0.25], "n_users": [943, 10], "p0:Pop": [0.3, 0.2],
    })


def test_keys_constants():
    assert KEYS == ("study", "dataset", "model", "family", "lever", "selector", "company", "view",
                    "participation", "seed", "group", "metric")
    assert "seed" not in CELL_KEYS and len(CELL_KEYS) == len(KEYS) - 1


def test_defaults_filled_and_metric_lowercased():
    t = validate_results_table(minimal())
    for column, default in DEFAULTS.items():
        assert (t[column] == default).all(), column
    assert list(t.columns[: len(KEYS)]) == list(KEYS)
    assert (t["metric"] == "ndcg@10").all()
    assert t["seed"].dtype == np.int64
    assert np.isnan(t["value"].iloc[1])  # an empty group stays NaN


def test_empty_optional_cells_get_defaults():
    df = full()
    df.loc[1, "lever"] = None
    df.loc[1, "seed"] = np.nan
    t = validate_results_table(df)
    assert t.loc[1, "lever"] == "strike" and t.loc[1, "seed"] == 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".csv.gz"])
def test_round_trip(tmp_path, suffix):
    path = tmp_path / f"results{suffix}"
    original = validate_results_table(full())
    if suffix == ".parquet":
        original.to_parquet(path, index=False)
    else:
        original.to_csv(path, index=False)
    loaded = load_results_table(path)
    pd.testing.assert_frame_equal(loaded, original, check_dtype=False)
    assert str(loaded["n_users"].dtype) == "Int64"


def test_round_trip_minimal_csv_keeps_model_named_na(tmp_path):
    path = tmp_path / "r.csv"
    df = minimal()
    df.loc[2, "model"] = "NA"  # a model may be called NA; it is not a missing value
    df.to_csv(path, index=False)
    t = load_results_table(path)
    assert t.loc[2, "model"] == "NA"
    assert np.isnan(t.loc[1, "value"])


@pytest.mark.parametrize("column", ["model", "participation", "metric", "value"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_missing_required_column_names_it(tmp_path, column, suffix):
    path = tmp_path / f"r{suffix}"
    df = minimal().drop(columns=column)
    df.to_parquet(path, index=False) if suffix == ".parquet" else df.to_csv(path, index=False)
    with pytest.raises(ResultsTableError, match=f"^{column}: missing required column") as err:
        load_results_table(path)
    assert err.value.column == column
    assert isinstance(err.value, ValueError) and isinstance(err.value, StrikebenchError)


@pytest.mark.parametrize("column, value, message", [
    ("participation", "lots", "participation: must be numeric"),
    ("participation", 1.5, r"participation: must be in \[0, 1\]"),
    ("participation", np.nan, "participation: missing value"),
    ("value", "high", "value: must be numeric"),
    ("seed", 1.5, "seed: must be an integer"),
    ("view", "train", "view: unknown value 'train'"),
    ("group", "everyone", "group: unknown value"),
    ("company", "startup", "company: unknown value"),
    ("model", "", "model: empty value"),
    ("n_users", -3, "n_users: must be >= 0"),
    ("p0:Pop", "low", "p0:Pop: must be numeric"),
])
def test_bad_values_name_the_column(column, value, message):
    df = full().astype({column: object})
    df.loc[0, column] = value
    with pytest.raises(ResultsTableError, match=message):
        validate_results_table(df)


def test_duplicate_rows_rejected():
    df = pd.concat([minimal(), minimal().iloc[:1]])
    with pytest.raises(ResultsTableError, match="duplicate"):
        validate_results_table(df)


def test_unknown_format_and_missing_file(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("x")
    with pytest.raises(ResultsTableError, match="unknown table format"):
        load_results_table(path)
    with pytest.raises(FileNotFoundError):
        load_results_table(tmp_path / "nope.csv")


def test_per_user_table(tmp_path):
    df = pd.DataFrame({"model": ["BPR"] * 3, "participation": [0.5] * 3, "user": [1, 2, 3],
                       "participant": ["true", "0", "False"], "hit@10": [1, 0, 1]})
    path = tmp_path / "u.csv"
    df.to_csv(path, index=False)
    t = load_per_user_table(path)
    assert t["participant"].tolist() == [True, False, False]
    assert t["user"].tolist() == ["1", "2", "3"]
    assert (t["lever"] == "strike").all() and "group" not in t.columns
    # store-side extras (fallback, in_company, cell_key) are kept, not taken for metrics
    extra = validate_per_user_table(df.assign(fallback=False, in_company=True, cell_key="abc", rmse=0.9))
    assert extra["in_company"].all() and extra["rmse"].dtype == float
    with pytest.raises(ResultsTableError, match="^participant: must be a boolean"):
        validate_per_user_table(df.assign(participant=["maybe", "1", "0"]))
    with pytest.raises(ResultsTableError, match="^user: missing required column"):
        validate_per_user_table(df.drop(columns="user"))
    with pytest.raises(ResultsTableError, match="^ndcg@10: missing metric column"):
        validate_per_user_table(df, metrics=["ndcg@10"])
    with pytest.raises(ResultsTableError, match="^hit@10: must be numeric"):
        validate_per_user_table(df.assign(**{"hit@10": ["a", "b", "c"]}))
    with pytest.raises(ResultsTableError, match="no metric column"):
        validate_per_user_table(df.drop(columns="hit@10"))


def test_lower_is_better_names():
    assert is_lower_better("rmse") and is_lower_better("MAE") and is_lower_better("rmse@10")
    assert not is_lower_better("ndcg@10")
    assert is_lower_better("coverage@10", lower_is_better={"coverage"})


def test_study_column_is_a_key_with_a_default():
    t = validate_results_table(minimal())
    assert (t["study"] == "study").all()  # an external table is one study
    # the same cell in two studies is two rows, not a duplicate
    two = pd.concat([minimal().assign(study="split=random"), minimal().assign(study="split=time")])
    t = validate_results_table(two)
    assert sorted(t["study"].unique()) == ["split=random", "split=time"] and len(t) == 6
    assert validate_results_table(full())["p0:Pop"].tolist() == [0.3, 0.2]
