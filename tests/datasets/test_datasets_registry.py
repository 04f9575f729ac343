"""The dataset registry (conf/dataset/*.yaml) and locate()."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from strikebench.datasets import registry
from strikebench.datasets.registry import (
    CONFIG_KEYS,
    DatasetNotAvailable,
    check_atomic_files,
    load_config,
    locate,
)
from strikebench.errors import ConfigError, DataError, StrikebenchError

EXPECTED = {"ml-100k", "ml-1m", "ml-10m", "ml-20m", "ml-25m", "amazon-books", "yelp", "lastfm",
            "synthetic"}


def recbole_urls() -> dict[str, str]:
    import recbole

    path = Path(recbole.__file__).parent / "properties" / "dataset" / "url.yaml"
    return yaml.safe_load(path.read_text())


def test_registry_lists_the_expected_datasets():
    assert EXPECTED <= set(registry.dataset_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_entry_has_the_schema(name):
    raw = yaml.safe_load((registry.conf_dir() / f"{name}.yaml").read_text())
    assert list(raw) == list(CONFIG_KEYS)  # exactly these keys, in this order
    cfg = load_config(name)
    assert cfg["name"] == name
    assert cfg["source"] in registry.SOURCES
    assert cfg["sha256"] is None  # none of these sources publishes a sha256
    assert isinstance(cfg["has_ratings"], bool)
    rb = cfg["recbole"]
    assert rb["normalize_all"] is False
    for key in ("USER_ID_FIELD", "ITEM_ID_FIELD", "RATING_FIELD", "TIME_FIELD"):
        assert key in rb
    inter = rb["load_col"]["inter"]
    assert rb["USER_ID_FIELD"] in inter and rb["ITEM_ID_FIELD"] in inter
    assert (rb["RATING_FIELD"] in inter) == cfg["has_ratings"]
    if cfg["source"] == "download":
        # Addresses come from RecBole's own list, never made up.
        assert cfg["url"] in recbole_urls().values()
        assert cfg["archive"] == "zip"
    if cfg["source"] in ("bundled", "synthetic"):
        assert cfg["url"] is None and cfg["archive"] is None
    if cfg["source"] == "manual":
        assert cfg["instructions"] and cfg["url"]
    assert (cfg["synthetic"] is not None) == (cfg["source"] == "synthetic")


def test_schema_errors_name_the_field():
    cfg = load_config("ml-1m")
    with pytest.raises(ConfigError, match="sha265"):
        registry.as_config({**cfg, "sha265": None})
    with pytest.raises(ConfigError, match="dataset.source"):
        registry.as_config({**cfg, "source": "ftp"})
    with pytest.raises(ConfigError, match="unknown dataset 'ml-2m'"):
        load_config("ml-2m")


def test_locate_ml100k_finds_the_bundled_files(tmp_path):
    path = locate("ml-100k", tmp_path)
    assert path.name == "ml-100k"  # RecBole reads it with dataset=path.name, data_path=path.parent
    for suffix in ("inter", "user", "item"):
        assert (path / f"ml-100k.{suffix}").is_file()
    assert list(tmp_path.iterdir()) == []  # nothing written to the data root


def test_recbole_loads_ml100k_with_features_and_raw_ratings():
    from recbole.data import create_dataset

    from strikebench.compat import recbole_config

    cfg = load_config("ml-100k")
    path = locate(cfg)
    config = recbole_config("Pop", "ml-100k", {**cfg["recbole"], "data_path": str(path.parent),
                                               "show_progress": False})
    dataset = create_dataset(config)
    assert len(dataset.inter_feat) == 100_000
    assert set(dataset.user_feat.columns) == {"user_id", "age", "gender", "occupation"}
    assert set(dataset.item_feat.columns) == {"item_id", "release_year", "class"}
    ratings = dataset.inter_feat["rating"]
    assert ratings.min() == 1 and ratings.max() == 5  # not rescaled to 0..1


def test_missing_downloaded_dataset_says_what_to_do(tmp_path):
    with pytest.raises(DatasetNotAvailable) as err:
        locate("ml-1m", tmp_path)
    message = str(err.value)
    assert "strikebench data fetch ml-1m" in message and str(tmp_path / "ml-1m") in message
    assert isinstance(err.value, StrikebenchError)


def test_missing_manual_dataset_gives_instructions_and_place(tmp_path):
    with pytest.raises(DatasetNotAvailable) as err:
        locate("yelp", tmp_path)
    message = str(err.value)
    assert "https://www.yelp.com/dataset" in message and "licence" in message.lower()
    assert str(tmp_path / "yelp") in message
    assert "\n" not in message  # one line on the command line


def test_present_dataset_is_located_and_checked(tmp_path):
    folder = tmp_path / "lastfm"
    folder.mkdir()
    (folder / "lastfm.inter").write_text("user_id:token\tartist_id:token\tweight:float\n1\t2\t30\n")
    assert locate("lastfm", tmp_path) == folder

    (folder / "lastfm.inter").write_text("user_id\tartist_id\n1\t2\n")
    with pytest.raises(DataError, match="malformed atomic file .*lastfm.inter"):
        locate("lastfm", tmp_path)

    (folder / "lastfm.inter").write_text("user_id:token\titem_id:token\n1\t2\n")
    with pytest.raises(DataError, match=r"lacks columns \['artist_id'\]"):
        locate("lastfm", tmp_path)

    (folder / "lastfm.inter").write_text("user_id:token\tartist_id:token\n")
    with pytest.raises(DataError, match="no interactions"):
        check_atomic_files(folder, "lastfm")


def test_synthetic_is_generated_once_per_parameter_set(tmp_path):
    cfg = load_config("synthetic")
    cfg["synthetic"] = {**cfg["synthetic"], "n_users": 40, "n_items": 60, "n_interactions": 600}
    path = locate(cfg, tmp_path)
    assert path.name == "synthetic" and path.parent.name.startswith("synthetic-")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.parent.name]  # no temp dirs left
    lines = (path / "synthetic.inter").read_text().splitlines()
    assert lines[0] == "user_id:token\titem_id:token\trating:float\ttimestamp:float"
    assert len(lines) == 601
    stamp = (path / "synthetic.inter").stat().st_mtime_ns
    assert locate(cfg, tmp_path) == path  # reused, not regenerated
    assert (path / "synthetic.inter").stat().st_mtime_ns == stamp

    other = {**cfg, "synthetic": {**cfg["synthetic"], "seed": 1}}
    assert locate(other, tmp_path).parent != path.parent

    bad = {**cfg, "synthetic": {**cfg["synthetic"], "n_userz": 3}}
    with pytest.raises(ConfigError, match="dataset.synthetic.n_userz"):
        locate(bad, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2  # the failed generation left nothing
