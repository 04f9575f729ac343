"""Selectors on ML-100K's real user and item features, checked against counts made here with
pandas straight from the atomic files in the recbole wheel, on the training side of the same
fixed split (train + valid; never test)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from strikebench.errors import ConfigError, DataError
from strikebench.levers.build import apply_strike_config, build_selector
from strikebench.levers.participants import draw_participants


@pytest.fixture(scope="module")
def atomic():
    """ML-100K's .inter, .user and .item files as pandas tables (tokens as strings)."""
    import recbole

    folder = Path(recbole.__file__).parent / "dataset_example" / "ml-100k"

    def read(suffix):
        table = pd.read_csv(folder / f"ml-100k.{suffix}", sep="\t", dtype=str)
        table.columns = [c.split(":")[0] for c in table.columns]
        return table

    inter = read("inter")
    inter["rating"] = inter["rating"].astype(float)
    return inter, read("user"), read("item")


@pytest.fixture(scope="module")
def train_side(ml100k, atomic):
    """The .inter rows on the training side of the fixed split, matched by (user, item) token."""
    data, split = ml100k
    rows = np.concatenate([split.train, split.valid])
    keys = pd.DataFrame({"user_id": data.user_tokens[data.user[rows]].astype(str),
                         "item_id": data.item_tokens[data.item[rows]].astype(str)})
    inter = atomic[0]
    assert not inter.duplicated(["user_id", "item_id"]).any()  # so (user, item) identifies a row
    side = inter.merge(keys, on=["user_id", "item_id"], how="inner")
    assert len(side) == len(rows)
    return side


def select(ml100k, **cfg):
    data, split = ml100k
    group = build_selector(OmegaConf.create(cfg))(data, split)
    assert np.all(np.diff(group.users) > 0)  # sorted, unique
    return set(data.user_tokens[group.users].astype(str)), group.name


def test_random_is_every_user_on_the_training_side(ml100k, train_side):
    users, name = select(ml100k, name="random")
    assert users == set(train_side["user_id"]) and len(users) == 943 and name == "all users"


@pytest.mark.parametrize("field,value", [("gender", "F"), ("gender", "M"), ("occupation", "student"),
                                         ("occupation", ["artist", "writer"]), ("age", "25")])
def test_attribute_value_groups_match_pandas(ml100k, atomic, train_side, field, value):
    users_table = atomic[1]
    wanted = value if isinstance(value, list) else [value]
    expected = set(users_table.loc[users_table[field].isin(wanted), "user_id"]) & set(train_side["user_id"])
    users, name = select(ml100k, name="attribute", field=field, value=value, min=None, max=None)
    assert users == expected and len(users) > 0
    assert name == f"{field}={'|'.join(wanted)}"


@pytest.mark.parametrize("low,high", [(None, 17), (18, 24), (50, None), (7, 7)])
def test_attribute_age_brackets_match_pandas(ml100k, atomic, train_side, low, high):
    age = atomic[1].set_index("user_id")["age"].astype(int)
    ok = pd.Series(True, index=age.index)
    if low is not None:
        ok &= age >= low
    if high is not None:
        ok &= age <= high
    expected = set(age.index[ok]) & set(train_side["user_id"])
    users, _ = select(ml100k, name="attribute", field="age", value=None, min=low, max=high)
    assert users == expected and len(users) > 0


def genre_rows(train_side, atomic, genre):
    items = atomic[2]
    horror = set(items.loc[items["class"].fillna("").str.split(" ").apply(lambda g: genre in g), "item_id"])
    return train_side[train_side["item_id"].isin(horror)]


@pytest.mark.parametrize("genre,n,r", [("Horror", 10, 4.0), ("Comedy", 10, 4.0), ("Film-Noir", 3, 3.5), ("Horror", 1, 1.0)])
def test_fans_with_ratings_match_pandas(ml100k, atomic, train_side, genre, n, r):
    per_user = genre_rows(train_side, atomic, genre).groupby("user_id")["rating"].agg(["size", "mean"])
    expected = set(per_user.index[(per_user["size"] >= n) & (per_user["mean"] >= r)])
    users, name = select(ml100k, name="fans", field="class", value=genre, by="auto",
                         min_ratings=n, min_mean_rating=r, min_share=0.2)
    assert users == expected and len(users) > 0
    assert genre in name


def test_published_horror_fans_default(ml100k, atomic, train_side):
    """The conf/strike/selector/fans.yaml defaults: >= 10 Horror ratings with a mean >= 4."""
    from strikebench.config.paths import CONF_DIR

    cfg = OmegaConf.load(Path(CONF_DIR) / "strike" / "selector" / "fans.yaml")
    assert (cfg.field, cfg.value, cfg.min_ratings, cfg.min_mean_rating) == ("class", "Horror", 10, 4.0)
    per_user = genre_rows(train_side, atomic, "Horror").groupby("user_id")["rating"].agg(["size", "mean"])
    expected = set(per_user.index[(per_user["size"] >= 10) & (per_user["mean"] >= 4)])
    users, _ = select(ml100k, **OmegaConf.to_container(cfg))
    assert users == expected


@pytest.mark.parametrize("genre,share", [("Horror", 0.1), ("Drama", 0.5), ("Children's", 0.25)])
def test_fans_by_share_match_pandas(ml100k, atomic, train_side, genre, share):
    in_genre = genre_rows(train_side, atomic, genre).groupby("user_id").size()
    total = train_side.groupby("user_id").size()
    ratio = (in_genre.reindex(total.index, fill_value=0) / total)
    expected = set(ratio.index[(ratio >= share) & (in_genre.reindex(total.index, fill_value=0) > 0)])
    users, name = select(ml100k, name="fans", field="class", value=genre, by="share",
                         min_ratings=10, min_mean_rating=4.0, min_share=share)
    assert users == expected and len(users) > 0
    assert "share" in name


@pytest.mark.parametrize("level,share", [("power", 0.1), ("light", 0.1), ("power", 0.25), ("light", 0.5)])
def test_activity_groups_match_pandas(ml100k, train_side, level, share):
    counts = train_side.groupby("user_id").size()
    users, _ = select(ml100k, name="activity", level=level, share=share)
    assert len(users) == int(np.floor(share * len(counts) + 0.5))
    inside, outside = counts[counts.index.isin(users)], counts[~counts.index.isin(users)]
    if level == "power":
        assert inside.min() >= outside.max()  # nobody left out has more interactions
    else:
        assert inside.max() <= outside.min()


def test_selectors_never_look_at_the_test_set(ml100k):
    """Moving every test interaction to other users would change nothing: counts come from train + valid."""
    data, split = ml100k
    before = build_selector(OmegaConf.create({"name": "activity", "level": "power", "share": 0.1}))(data, split)
    scrambled = type(data)(**{**data.__dict__})
    scrambled.user = data.user.copy()
    scrambled.user[split.test] = np.random.default_rng(0).permutation(scrambled.user[split.test])
    after = build_selector(OmegaConf.create({"name": "activity", "level": "power", "share": 0.1}))(scrambled, split)
    assert before.users.tolist() == after.users.tolist()


def test_participants_are_drawn_from_the_group_like_the_random_strike(ml100k):
    data, split = ml100k
    strike = OmegaConf.create({"participation": 0.3, "selector": {"name": "attribute", "field": "gender", "value": "F",
                                                                   "min": None, "max": None},
                               "lever": {"name": "strike", "company": "incumbent"}})
    state = apply_strike_config(strike, 7, data, split)
    group = build_selector(strike.selector)(data, split)
    expected = draw_participants(group.users, 0.3, 7, group.name)
    assert state.participants.users.tolist() == expected.users.tolist()
    assert state.participants.group == "gender=F" and state.participants.group_size == len(group.users)
    assert len(state.participants.users) == int(np.floor(0.3 * len(group.users) + 0.5))
    # nested: the participants at 0.1 are among those at 0.3
    smaller = apply_strike_config(OmegaConf.merge(strike, {"participation": 0.1}), 7, data, split)
    assert set(smaller.participants.users.tolist()) <= set(state.participants.users.tolist())


def test_an_empty_group_is_an_error_naming_the_group(ml100k):
    data, split = ml100k
    strike = OmegaConf.create({"participation": 0.3, "selector": {"name": "attribute", "field": "age", "value": None,
                                                                   "min": 80, "max": 90},
                               "lever": {"name": "strike", "company": "incumbent"}})
    with pytest.raises(DataError, match="80<=age<=90"):
        apply_strike_config(strike, 0, data, split)
    strike.selector = {"name": "fans", "field": "class", "value": "Horror", "by": "auto",
                       "min_ratings": 500, "min_mean_rating": 4.0, "min_share": 0.2}
    with pytest.raises(DataError, match="fans of class=Horror"):
        apply_strike_config(strike, 0, data, split)


def test_fans_by_ratings_needs_ratings(ml100k):
    data, split = ml100k
    no_ratings = type(data)(**{**data.__dict__})
    no_ratings.rating = None
    selector = build_selector(OmegaConf.create({"name": "fans", "field": "class", "value": "Horror", "by": "ratings",
                                                "min_ratings": 10, "min_mean_rating": 4.0, "min_share": 0.2}))
    with pytest.raises(ConfigError, match="strike.selector.by"):
        selector(no_ratings, split)
    auto = build_selector(OmegaConf.create({"name": "fans", "field": "class", "value": "Horror", "by": "auto",
                                            "min_ratings": 10, "min_mean_rating": 4.0, "min_share": 0.2}))
    assert "share" in auto(no_ratings, split).name  # without ratings, auto falls back to the share
