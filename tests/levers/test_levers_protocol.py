"""The selector and lever protocol (strikebench/levers/base.py) on a hand-built dataset.

Three users (1, 2, 3) with three interactions each over items 1..3 (ids up to 5 exist, so a
poisoned row has somewhere to point). Row r belongs to user 1 + r // 3; rows 0, 3, 6 are train,
1, 4, 7 valid and 2, 5, 8 test.
"""
from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from omegaconf import OmegaConf

import strikebench.levers
from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError
from strikebench.levers import streams
from strikebench.levers.base import Where
from strikebench.levers.build import build_lever, build_selector
from strikebench.levers.compose import Compose
from strikebench.levers.participants import Participants
from strikebench.levers.partial_strike import PartialStrike
from strikebench.levers.poison import Poison
from strikebench.levers.selectors import ActivitySelector, AttributeSelector, FansSelector
from strikebench.levers.state import Change, initial_state
from strikebench.levers.strike import Strike
from strikebench.levers.temporal_strike import TemporalStrike
from strikebench.levers.transfer import Competitor, Transfer, base_users

DOCS = Path(__file__).resolve().parents[2] / "docs" / "levers.md"
DATA = SimpleNamespace(
    name="three", user=np.array([1, 1, 1, 2, 2, 2, 3, 3, 3]), item=np.array([1, 2, 3] * 3), n_users=4, n_items=6,
    timestamp=np.array([10.0, 20, 30, 5, 15, 25, 40, 50, 1]),  # user 3's test row is the earliest of all
)
SPLIT = FixedSplit(train=np.array([0, 3, 6]), valid=np.array([1, 4, 7]), test=np.array([2, 5, 8]))


def start(*users):
    participants = Participants(np.array(users), "hand-picked", 3, len(users) / 3, seed=0)
    return initial_state(DATA, SPLIT, participants)


BAD = [
    (lambda: Strike(company=""), "strike.lever.company"),
    (lambda: PartialStrike(share=1.5), "strike.lever.share"),
    (lambda: PartialStrike(share="half", where="strike.lever.levers.1"), "strike.lever.levers.1.share"),
    (lambda: PartialStrike(share=0.5, field="class"), "strike.lever.value"),
    (lambda: TemporalStrike(after="soon"), "strike.lever.after"),
    (lambda: Poison(target="everything"), "strike.lever.target"),
    (lambda: Poison(target="category", field="class"), "strike.lever.value"),
    (lambda: Competitor(base_share=2), "strike.lever.base_share"),
    (lambda: Transfer("incumbent", "incumbent"), "strike.lever.to_company"),
    (lambda: Compose([]), "strike.lever.levers"),
    (lambda: AttributeSelector("gender"), "strike.selector.value"),
    (lambda: AttributeSelector("age", min=30, max=20), "strike.selector.min"),
    (lambda: FansSelector("class", "Horror", min_ratings=0), "strike.selector.min_ratings"),
    (lambda: FansSelector("class", "Horror", by="votes"), "strike.selector.by"),
    (lambda: ActivitySelector("medium", 0.1), "strike.selector.level"),
    (lambda: ActivitySelector("power", 0), "strike.selector.share"),
]


@pytest.mark.parametrize("make,field", BAD, ids=[f for _, f in BAD])
def test_a_bad_parameter_stops_in_init_naming_its_field(make, field):
    with pytest.raises(ConfigError) as info:
        make()
    assert info.value.field == field and str(info.value).startswith(f"{field}: ")


def test_where_is_given_at_construction_and_names_apply_time_errors():
    composed = build_lever(OmegaConf.create({"name": "two", "levers": [
        {"name": "partial_strike", "company": "incumbent", "share": 0.5, "field": None, "value": None},
        {"name": "strike", "company": "nobody"}]}))
    assert [str(lever.where) for lever in composed.levers] == ["strike.lever.levers.0", "strike.lever.levers.1"]
    with pytest.raises(ConfigError) as info:
        composed(start(1))
    assert info.value.field == "strike.lever.levers.1.company"


def test_from_config_passes_declared_fields_and_names_missing_or_foreign_ones():
    lever = build_lever(OmegaConf.create({"name": "partial_strike", "company": "incumbent", "share": 0.25,
                                          "field": "class", "value": ["Horror", "Comedy"]}))
    assert repr(lever) == "PartialStrike(company='incumbent', share=0.25, field='class', value=['Horror', 'Comedy'])"
    with pytest.raises(ConfigError, match=r"^strike.lever.company: must be a non-empty string, got None$"):
        build_lever(OmegaConf.create({"name": "strike"}))
    with pytest.raises(ConfigError, match=r"^strike.selector.colour: not a field of 'random'"):
        build_selector(OmegaConf.create({"name": "random", "colour": "red"}))


def test_an_interpolated_field_is_named_by_what_it_points_at():
    cfg = OmegaConf.create({"strike": {"lever": {"name": "transfer", "base_share": 2, "levers": [
        {"name": "competitor", "company": "competitor", "base_share": "${strike.lever.base_share}"}]}}})
    assert Where.in_config(cfg.strike.lever.levers[0], "strike.lever.levers.0").field("base_share") == \
        "strike.lever.base_share"
    with pytest.raises(ConfigError) as info:
        build_lever(cfg.strike.lever)
    assert info.value.field == "strike.lever.base_share"


@pytest.mark.parametrize("name", ["strikebench.levers.selectors:RandomSelector", "collections:OrderedDict"])
def test_a_class_that_is_not_a_lever_is_refused_by_name(name):
    with pytest.raises(ConfigError, match="is not a lever") as info:
        build_lever(OmegaConf.create({"name": name}))
    assert info.value.field == "strike.lever.name"


def test_compose_applies_levers_in_order():
    # transfer, then strike: the competitor gets user 1's train row 0 and valid row 1
    moved = Compose([Competitor(0.0), Transfer(), Strike()])(start(1))
    assert moved.companies["competitor"].train.tolist() == [0] and moved.companies["competitor"].valid.tolist() == [1]
    assert moved.companies["incumbent"].train.tolist() == [3, 6]
    assert [(c.step, c.lever, c.company, c.kind, c.part) for c in moved.changes] == [
        (1, "transfer", "competitor", "added", "train"), (1, "transfer", "competitor", "added", "valid"),
        (2, "strike", "incumbent", "removed", "train"), (2, "strike", "incumbent", "removed", "valid")]
    # strike first: the incumbent no longer holds user 1's rows, so the transfer carries nothing
    struck_first = Compose([Competitor(0.0), Strike(), Transfer()])(start(1))
    assert struck_first.companies["competitor"].train.tolist() == [] == struck_first.companies["competitor"].valid.tolist()
    assert [a["lever"] for a in struck_first.actions] == ["competitor", "strike", "transfer"]
    # poison, then transfer: the rows arrive poisoned (user 1 has items 1-3, so 4 and 5 are the pool)
    poisoned = Compose([Poison(share=1.0), Competitor(0.0), Transfer()])(start(1)).companies["competitor"]
    assert poisoned.rewritten_rows.tolist() == [0, 1] and sorted(poisoned.new_items.tolist()) == [4, 5]
    clean = Compose([Competitor(0.0), Transfer(), Poison(share=1.0)])(start(1)).companies["competitor"]
    assert clean.rewritten_rows.tolist() == []


def test_change_constructors_and_step():
    removed, added = Change.removed("train", np.array([0])), Change.added("valid", np.array([4]))
    rewritten = Change.rewritten("valid", np.array([1]), np.array([5]))
    assert (removed.kind, removed.part, removed.new_items) == ("removed", "train", None)
    assert (added.kind, added.part) == ("added", "valid")
    assert (rewritten.kind, rewritten.new_items.tolist()) == ("rewritten", [5])
    with pytest.raises(ValueError):
        Change.removed("test", np.array([2]))  # the test set is no lever's
    with pytest.raises(ValueError):
        Change("removed", "train", np.array([0]), new_items=np.array([5]))
    state = start(1)
    view = state.companies["incumbent"]
    after = state.step("mine", [view.without(np.array([0]))], [removed, Change.removed("valid", np.array([], dtype=np.int64))],
                       company="incumbent", share=0.5)
    assert after.actions == [{"lever": "mine", "company": "incumbent", "share": 0.5, "removed_train": 1, "removed_valid": 0}]
    assert [(c.step, c.lever, c.company, c.rows.tolist()) for c in after.changes] == [(0, "mine", "incumbent", [0])]
    assert after.companies["incumbent"].train.tolist() == [3, 6] and state.companies["incumbent"].train.tolist() == [0, 3, 6]
    with pytest.raises(TypeError, match="Change.removed"):
        state.step("old", [view], [("removed", "train", np.array([0]))], company="incumbent")


def test_every_draw_has_its_stream():
    assert (streams.PARTICIPANTS, streams.PARTIAL_STRIKE, streams.POISON, streams.COMPETITOR_BASE) == (None, 1, 2, 3)
    assert streams.rng(7, streams.PARTICIPANTS).permutation(20).tolist() == \
        np.random.default_rng(7).permutation(20).tolist()
    assert streams.rng(7, streams.POISON, 12).permutation(20).tolist() == \
        np.random.default_rng([7, 2, 12]).permutation(20).tolist()
    eligible = np.arange(10, 20)
    expected = np.sort(eligible[np.random.default_rng([4, 3]).permutation(10)[:3]])
    assert base_users(eligible, 0.3, 4).tolist() == expected.tolist()
    with pytest.raises(ValueError):
        streams.rng(7, streams.PARTICIPANTS, 12)


def test_the_package_example_runs():
    result = doctest.testmod(strikebench.levers, raise_on_error=False)
    assert result.attempted >= 10 and result.failed == 0


@pytest.fixture
def mypkg(tmp_path, monkeypatch):
    """docs/levers.md's two examples, written out as the package ``mypkg`` they say they are."""
    blocks = re.findall(r"```python\n(# mypkg/(\w+)\.py\n.*?)```", DOCS.read_text(), flags=re.S)
    assert sorted(name for _, name in blocks) == ["levers", "selectors"]
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    for code, name in blocks:
        (tmp_path / "mypkg" / f"{name}.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for module in [m for m in sys.modules if m == "mypkg" or m.startswith("mypkg.")]:
        del sys.modules[module]


def test_the_documented_custom_lever_runs_by_import_path(mypkg):
    lever = build_lever(OmegaConf.create({"name": "mypkg.levers:DropValid", "company": "incumbent"}))
    state = lever(start(1, 3))
    assert state.companies["incumbent"].valid.tolist() == [4]  # users 1 and 3 withheld rows 1 and 7
    assert state.companies["incumbent"].train.tolist() == [0, 3, 6]
    assert state.actions == [{"lever": "drop_valid", "company": "incumbent", "removed_valid": 2}]
    with pytest.raises(ConfigError) as info:
        build_lever(OmegaConf.create({"name": "mypkg.levers:DropValid", "company": None}))
    assert info.value.field == "strike.lever.company"


def test_the_documented_custom_selector_runs_by_import_path(mypkg):
    selector = build_selector(OmegaConf.create({"name": "mypkg.selectors:EarlyUsers", "before": 12}))
    group = selector(DATA, SPLIT)
    # first training-side times: user 1 at 10, user 2 at 5, user 3 at 40 (its test row at 1 is not looked at)
    assert group.users.tolist() == [1, 2] and group.name == "users before 12"
    with pytest.raises(ConfigError) as info:
        build_selector(OmegaConf.create({"name": "mypkg.selectors:EarlyUsers", "before": "soon"}))
    assert info.value.field == "strike.selector.before"
