"""Bad selector and lever input stops before any training, with a ConfigError naming the field."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from omegaconf import OmegaConf

from strikebench.app.validate import validate
from strikebench.errors import ConfigError, DataError

# Caught by validate(), before any data is loaded: (overrides, field named)
STATIC = [
    (["strike/selector=random", "strike.selector.name=nope"], "strike.selector.name"),
    (["strike/selector=attribute", "strike.selector.value=null"], "strike.selector.value"),
    (["strike/selector=attribute", "strike.selector.min=18"], "strike.selector.value"),  # value and range
    (["strike/selector=age", "strike.selector.min=abc"], "strike.selector.min"),
    (["strike/selector=age", "strike.selector.max=abc"], "strike.selector.max"),
    (["strike/selector=age", "strike.selector.min=30", "strike.selector.max=20"], "strike.selector.min"),
    (["strike/selector=attribute", "strike.selector.field=null"], "strike.selector.field"),
    (["strike/selector=attribute", "+strike.selector.colour=red"], "strike.selector.colour"),
    (["strike/selector=fans", "strike.selector.by=votes"], "strike.selector.by"),
    (["strike/selector=fans", "strike.selector.min_ratings=0"], "strike.selector.min_ratings"),
    (["strike/selector=fans", "strike.selector.min_ratings=2.5"], "strike.selector.min_ratings"),
    (["strike/selector=fans", "strike.selector.min_mean_rating=high"], "strike.selector.min_mean_rating"),
    (["strike/selector=fans", "strike.selector.min_share=0"], "strike.selector.min_share"),
    (["strike/selector=fans", "strike.selector.min_share=1.5"], "strike.selector.min_share"),
    (["strike/selector=fans", "strike.selector.value=null"], "strike.selector.value"),
    (["strike/selector=activity", "strike.selector.level=medium"], "strike.selector.level"),
    (["strike/selector=activity", "strike.selector.share=0"], "strike.selector.share"),
    (["strike/selector=activity", "strike.selector.share=1.2"], "strike.selector.share"),
    (["strike/lever=strike", "strike.lever.name=nope"], "strike.lever.name"),
    (["strike/lever=strike", "strike.lever.name=nowhere.module:Lever"], "strike.lever.name"),
    (["strike/lever=strike", "strike.lever.company=null"], "strike.lever.company"),
    (["strike/lever=strike", "+strike.lever.share=0.5"], "strike.lever.share"),
    (["strike/lever=partial_strike", "strike.lever.share=1.5"], "strike.lever.share"),
    (["strike/lever=partial_strike", "strike.lever.share=half"], "strike.lever.share"),
    (["strike/lever=partial_strike", "strike.lever.field=class"], "strike.lever.value"),
    (["strike/lever=partial_strike", "strike.lever.value=Horror"], "strike.lever.field"),
    (["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=soon"], "strike.lever.after"),
    (["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=null"], "strike.lever.after"),
    (["strike/lever=temporal_strike", "split.order=TO", "strike.lever.after=now"], "strike.lever.after"),
    (["strike/lever=temporal_strike", "split.order=RO"], "split.order"),
    (["strike/lever=poison", "strike.lever.target=everything"], "strike.lever.target"),
    (["strike/lever=poison", "strike.lever.share=-0.1"], "strike.lever.share"),
    (["strike/lever=poison", "strike.lever.target=category"], "strike.lever.field"),
    (["strike/lever=poison", "strike.lever.field=class", "strike.lever.value=Horror"], "strike.lever.target"),
    (["strike/lever=poison_category", "strike.lever.value=null"], "strike.lever.value"),
    (["strike/lever=transfer", "strike.lever.base_share=2"], "strike.lever.base_share"),
    (["strike/lever=transfer_strike", "strike.lever.base_share=-1"], "strike.lever.base_share"),
    (["strike/lever=cdc_strike", "strike.lever.base_share=lots"], "strike.lever.base_share"),
    (["strike/lever=transfer", "strike.lever.levers.1.to_company=incumbent"], "strike.lever.levers.1.to_company"),
    (["strike/lever=transfer", "strike.lever.levers=[]"], "strike.lever.levers"),
    (["strike/lever=transfer", "strike.lever.levers=[3]"], "strike.lever.levers.0"),
    (["strike/lever=transfer", "strike.lever.levers.1.name=nope"], "strike.lever.levers.1.name"),
]


@pytest.mark.parametrize("overrides,field", STATIC, ids=[" ".join(o) for o, _ in STATIC])
def test_bad_fields_are_refused_before_data_is_loaded(compose_cfg, overrides, field):
    cfg = compose_cfg(["model=pop", "strike.participation=0.3", *overrides])
    with pytest.raises(ConfigError) as info:
        validate(cfg)
    assert info.value.field == field, str(info.value)


# Caught once the data is loaded, still before any training: (overrides, field named)
WITH_DATA = [
    (["strike/selector=attribute", "strike.selector.field=shoe_size"], "strike.selector.field"),
    (["strike/selector=attribute", "strike.selector.value=X"], "strike.selector.value"),
    (["strike/selector=age", "strike.selector.field=gender"], "strike.selector.field"),  # not numeric
    (["strike/selector=fans", "strike.selector.field=colour"], "strike.selector.field"),
    (["strike/selector=fans", "strike.selector.value=Horrorr"], "strike.selector.value"),
    (["strike/lever=category_strike", "strike.lever.field=colour"], "strike.lever.field"),
    (["strike/lever=category_strike", "strike.lever.value=Westerns"], "strike.lever.value"),
    (["strike/lever=poison_category", "strike.lever.value=Horrorr"], "strike.lever.value"),
    (["strike/lever=strike", "strike.lever.company=competitor"], "strike.lever.company"),
    (["strike/lever=transfer", "strike.lever.levers.1.from_company=nobody"], "strike.lever.levers.1.from_company"),
]


@pytest.mark.parametrize("overrides,field", WITH_DATA, ids=[" ".join(o) for o, _ in WITH_DATA])
def test_bad_values_are_refused_before_training(compose_cfg, ml100k, monkeypatch, overrides, field):
    from strikebench.app import cell

    def no_training(*args, **kwargs):
        raise AssertionError("a model was trained")

    monkeypatch.setattr(cell, "fit_company", no_training)
    cfg = compose_cfg(["model=pop", "strike.participation=0.3", *overrides])
    with pytest.raises(ConfigError) as info:
        cell.run_cell(cfg)
    assert info.value.field == field, str(info.value)
    assert not Path(cfg.results_dir, "cells").exists()  # nothing written


def test_a_temporal_strike_without_timestamps_names_the_time_field():
    from strikebench.data.split import FixedSplit
    from strikebench.levers.build import BuildContext, build_lever
    from strikebench.levers.participants import draw_participants
    from strikebench.levers.state import initial_state

    data = SimpleNamespace(name="no-time", user=np.array([1, 2]), item=np.array([1, 2]), timestamp=None)
    split = FixedSplit(train=np.array([0]), valid=np.array([], dtype=np.int64), test=np.array([1]))
    cfg = OmegaConf.create({"name": "temporal_strike", "company": "incumbent", "after": 10})
    lever = build_lever(cfg, BuildContext(OmegaConf.create({"order": "TO"})))  # the config itself is fine
    with pytest.raises(ConfigError) as info:
        lever(initial_state(data, split, draw_participants(np.array([1, 2]), 0.5, 0, "all users")))
    assert info.value.field == "dataset.recbole.TIME_FIELD"


def test_an_empty_group_stops_the_cell(compose_cfg, ml100k):
    from strikebench.app.cell import preflight

    cfg = compose_cfg(["model=pop", "strike.participation=0.3", "strike/selector=age",
                       "strike.selector.min=90", "strike.selector.max=99"])
    with pytest.raises(DataError, match="90<=age<=99"):
        preflight(cfg)


def test_the_incumbent_left_with_nothing_is_still_an_error(compose_cfg, ml100k):
    from strikebench.app.cell import preflight

    cfg = compose_cfg(["model=pop", "strike.participation=1", "strike/lever=transfer_strike"])
    with pytest.raises(DataError, match="incumbent would hold no training data"):
        preflight(cfg)


def test_a_competitor_with_nothing_is_not_an_error(compose_cfg, ml100k):
    from strikebench.app.cell import preflight

    _, _, state, _ = preflight(compose_cfg(["model=pop", "strike.participation=0", "strike/lever=transfer"]))
    assert not state.companies["competitor"].holds_data


def test_every_shipped_selector_and_lever_config_validates(compose_cfg):
    from strikebench.config.paths import CONF_DIR

    for kind in ("selector", "lever"):
        for path in sorted((CONF_DIR / "strike" / kind).glob("*.yaml")):
            extra = ["split.order=TO"] if path.stem == "temporal_strike" else []
            validate(compose_cfg(["model=pop", f"strike/{kind}={path.stem}", *extra]))
