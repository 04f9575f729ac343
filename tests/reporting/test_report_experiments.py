"""The named experiments expand to the documented sweeps, and every cell's config is valid."""
from __future__ import annotations

import pytest

from strikebench.app.validate import validate
from strikebench.app.sweep import compose_cell, expand

pytestmark = pytest.mark.slow  # every shipped experiment expanded and composed

EXPECTED = {  # experiment -> cells on ML-100K (docs/reports.md)
    "data_strikes_random": 4 * 17 * 5,
    "data_strikes_groups": 5 * 4 * 1 * 5,
    "data_strikes_genre_fans": 7 * 4 * 1 * 5,
    "cdc_transfer": 3 * 4 * 8 * 5,
}
PUBLISHED_GRID = [0, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99]


@pytest.mark.parametrize("experiment", sorted(EXPECTED))
def test_experiment_expands_and_every_cell_is_valid(experiment):
    cells = expand([f"experiment={experiment}"])
    assert len(cells) == EXPECTED[experiment]
    seen = set()
    for cell in cells:
        shape = tuple(o for o in cell if not o.startswith(("seed=", "model=")))
        if shape in seen:  # models and seeds do not change what is checked here
            continue
        seen.add(shape)
        validate(compose_cell([*cell, "model=bpr"]))


def test_random_strike_uses_the_published_grid():
    cells = expand(["experiment=data_strikes_random"])
    grid = sorted({float(o.split("=")[1]) for c in cells for o in c if o.startswith("strike.participation=")})
    assert grid == PUBLISHED_GRID


def test_transfer_levels_and_variants():
    cells = expand(["experiment=cdc_transfer"])
    levers = {o.split("=")[1] for c in cells for o in c if o.startswith("strike/lever=")}
    assert levers == {"transfer", "transfer_strike", "cdc_strike"}
    ps = sorted({float(o.split("=")[1]) for c in cells for o in c if o.startswith("strike.participation=")})
    assert ps == [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]
