"""The random strike's invariants on a hand-built dataset (docs/design.md rules 2 and 3)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError, DataError
from strikebench.levers.participants import check_participation, draw_participants, participant_count
from strikebench.levers.state import initial_state
from strikebench.levers.strike import Strike

# 4 users (1..4), rows 0..11. Row -> (user): 1,1,1,2,2,2,3,3,3,4,4,4
USER = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
DATA = SimpleNamespace(user=USER)  # all a strike reads of the data
SPLIT = FixedSplit(train=np.array([0, 3, 6, 9]), valid=np.array([1, 4, 7, 10]), test=np.array([2, 5, 8, 11]))


@pytest.mark.parametrize("p,n,expected", [(0, 10, 0), (0.01, 10, 1), (0.05, 10, 1), (0.25, 10, 3),
                                          (0.3, 10, 3), (0.35, 10, 4), (0.5, 5, 3), (1, 7, 7)])
def test_participant_count_is_round_half_up_and_at_least_one(p, n, expected):
    assert participant_count(p, n) == expected


# Off the .5 grid, where round-half-up parts from ceil (0.31 x 10 = 3.1 -> 3, not 4) and floor
# (0.66 x 3 = 1.98 -> 2, not 1); 0.0005 x 943 = 0.47 rounds to 0 and is lifted to 1.
OFF_GRID = [(0.31, 10, 3), (0.1, 943, 94), (0.0005, 943, 1), (0.44, 7, 3), (0.66, 3, 2), (0.123, 100, 12)]


@pytest.mark.parametrize("p,n,expected", OFF_GRID)
def test_participant_counts_off_the_half_grid(p, n, expected):
    assert participant_count(p, n) == expected
    drawn = draw_participants(np.arange(1, n + 1), p, seed=0, group_name="all users")
    assert len(set(drawn.users.tolist())) == len(drawn.users) == expected
    assert drawn.group_size == n and drawn.participation == p


def test_the_record_counts_the_participants_off_the_grid(compose_cfg, tmp_path):
    """p = 0.31 of 10 users: 3 participants, realised participation 0.3, in the record and the table."""
    from strikebench.app.cell import run_cell
    from strikebench.results.table import records_to_table
    from tests.conftest import write_atomic
    from tests.evaluation.test_history_mask import dataset_overrides

    rows = [(f"u{u}", f"i{(u + t) % 6}", 4, t) for u in range(10) for t in range(3)]
    write_atomic(tmp_path / "data", "tenusers", rows)
    cfg = compose_cfg(["model=pop", "trainer=tiny", "split=sequential", "eval.ks=[3]", "strike.participation=0.31",
                       *dataset_overrides(tmp_path / "data", "tenusers")])
    record = run_cell(cfg, log=lambda m: None).record
    participants = record["participants"]
    assert (participants["count"], participants["group_size"], len(participants["users"])) == (3, 10, 3)
    assert participants["participation"] == 0.31 and participants["realised_participation"] == pytest.approx(0.3)
    table = records_to_table([record])
    assert set(table["participation"]) == {0.31} and set(table["realised_participation"]) == {3 / 10}
    held = record["companies"]["incumbent"]["metrics"]["holdout"]["participants"]
    assert held["n_users"] == 3  # the three are evaluated as participants


@pytest.mark.slow
@pytest.mark.parametrize("p,expected", [(0.1, 94), (0.0005, 1)])
def test_the_record_counts_the_participants_of_ml100k(compose_cfg, ml100k, p, expected):
    from strikebench.app.cell import run_cell

    record = run_cell(compose_cfg(["model=pop", "trainer=tiny", f"strike.participation={p}"]), log=lambda m: None).record
    participants = record["participants"]
    assert (participants["count"], participants["group_size"]) == (expected, 943)
    assert participants["realised_participation"] == pytest.approx(expected / 943)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_participation_outside_unit_interval_is_refused(p):
    with pytest.raises(ConfigError, match="strike.participation"):
        participant_count(p, 10)


@pytest.mark.parametrize("p,problem", [(-0.1, "-0.1 is outside [0, 1]"), (1.5, "1.5 is outside [0, 1]"),
                                       ("half", "must be a number, got 'half'"), (True, "must be a number, got True"),
                                       (None, "must be a number, got None")])
def test_the_one_participation_check_names_the_field_and_the_range(p, problem):
    """check_strike_config and the participant count share this check (docs/design.md rule 8)."""
    from omegaconf import OmegaConf

    from strikebench.levers.build import check_strike_config

    expected = f"strike.participation: {problem} (allowed: 0 <= p <= 1)"
    with pytest.raises(ConfigError) as direct:
        check_participation(p)
    strike = OmegaConf.create({"participation": p, "selector": {"name": "random"},
                               "lever": {"name": "strike", "company": "incumbent"}})
    with pytest.raises(ConfigError) as from_config:
        check_strike_config(strike)
    assert str(direct.value) == str(from_config.value) == expected
    assert from_config.value.field == "strike.participation"


@pytest.mark.parametrize("p", [0, 0.0, 0.3, 1, 1.0])
def test_participation_in_range_passes_as_a_float(p):
    assert check_participation(p) == float(p) and isinstance(check_participation(p), float)


def test_strike_removes_exactly_the_participants_train_and_valid():
    participants = draw_participants(np.array([1, 2, 3, 4]), 0.5, seed=3, group_name="all users")
    assert len(participants.users) == 2
    state = Strike()(initial_state(DATA, SPLIT, participants))
    company = state.companies["incumbent"]
    striking = set(participants.users.tolist())
    expected_train = [r for r in SPLIT.train if USER[r] not in striking]
    expected_valid = [r for r in SPLIT.valid if USER[r] not in striking]
    assert company.train.tolist() == expected_train
    assert company.valid.tolist() == expected_valid
    assert state.actions == [{"lever": "strike", "company": "incumbent", "removed_train": 2, "removed_valid": 2}]
    assert state.split.test.tolist() == [2, 5, 8, 11]  # the test set is untouched


def test_participants_are_nested_across_participation_levels():
    group = np.arange(1, 101)
    previous = set()
    for p in (0.0, 0.01, 0.1, 0.3, 0.5, 0.99, 1.0):
        current = set(draw_participants(group, p, seed=11, group_name="g").users.tolist())
        assert previous <= current
        previous = current
    assert previous == set(group.tolist())


def test_draw_depends_on_seed_and_group_only():
    group = np.arange(100, 200)
    a = draw_participants(group, 0.2, seed=5, group_name="g").users
    b = draw_participants(group[::-1], 0.2, seed=5, group_name="g").users  # order of the group is irrelevant
    c = draw_participants(group, 0.2, seed=6, group_name="g").users
    assert a.tolist() == b.tolist()
    assert len(c) == 20 and set(a.tolist()) != set(c.tolist())  # another seed is another draw


def test_same_participants_for_every_model(compose_cfg, ml100k):
    from strikebench.app.cell import preflight

    users = []
    for model in ("pop", "bpr", "itemknn"):
        cfg = compose_cfg([f"model={model}", "strike.participation=0.3", "seed=4"])
        _, _, state, _ = preflight(cfg)
        users.append(state.participants.users.tolist())
    assert users[0] == users[1] == users[2]
    assert len(users[0]) == round(0.3 * 943)


def test_a_strike_that_leaves_no_training_data_is_refused_before_training(compose_cfg):
    from strikebench.app.cell import preflight

    with pytest.raises(DataError, match="strike.participation=1.0"):
        preflight(compose_cfg(["model=pop", "strike.participation=1.0"]))
