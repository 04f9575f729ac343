"""``strikebench plan`` estimates from measured costs and says "unknown" where it has none."""
from __future__ import annotations

import json

import pandas as pd

from strikebench.app import estimate
from strikebench.app.cli import main
from strikebench.app.expansion import Composer
from strikebench.app.plan import plan_cells
from strikebench.results import store
from strikebench.results.keys import cell_key
from tests.results.test_record import hand_record

SWEEP = ["model=pop,neumf", "strike.participation=0,0.1,0.2", "trainer=tiny"]


def write_record(results, config: dict, seconds: float) -> str:
    """A whole stored record (as test_record's hand-made one) with this config and wall time:
    the two things the estimate reads."""
    key = cell_key(config)
    record = {**hand_record(), "cell_key": key, "config": config, "timings": {"total": seconds}}
    folder = store.cell_dir(results, key)
    folder.mkdir(parents=True)
    (folder / store.RECORD).write_text(json.dumps(record))
    pd.DataFrame({"company": ["incumbent"], "user": ["1"], "ndcg@10": [0.25]}).to_parquet(folder / store.PER_USER)
    return key


def test_plan_estimates_from_the_median_record_and_says_unknown_for_the_rest(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(estimate, "MODELS_DOC", tmp_path / "no-docs.md")  # records only
    results = tmp_path / "results"
    overrides = ["-m", *SWEEP, f"results_dir={results}"]
    cells = plan_cells(overrides[1:])
    (pop_p0,) = [c for c in cells if c.model == "Pop" and c.config["strike"]["participation"] == 0]
    write_record(results, pop_p0.config, 2.0)  # done: one of the sweep's six cells
    composer = Composer()
    for seed, seconds in ((7, 1.0), (8, 6.0)):  # Pop, same dataset and trainer, outside the sweep
        write_record(results, composer.resolved(["model=pop", "trainer=tiny", f"seed={seed}", f"results_dir={results}"]),
                     seconds)

    assert main(["plan", *overrides]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "6 cells, 1 done, 5 missing"
    # median of 1, 2 and 6 s = 2 s a cell; 2 Pop cells missing; NeuMF: nothing measured
    assert "| Pop | ml-100k | 3 | 1 | 2 | 2.0 s | median of 3 records here | 4.0 s |" in out
    assert "| NeuMF | ml-100k | 3 | 0 | 3 | unknown | no measured cost | unknown |" in out
    assert "estimated time left: 4.0 s for 2 cells; unknown for 3 cells of NeuMF (no measured cost)" in out


def test_the_documented_costs_are_the_fallback_and_name_their_source(tmp_path):
    doc = tmp_path / "models.md"
    doc.write_text("| model | family | split | NDCG@10 | beats Pop? | epochs (best) | seconds |\n"
                   "| --- | --- | --- | ---: | --- | ---: | ---: |\n"
                   "| NeuMF | matrix_factorisation | default | 0.2721 | yes | 19 (15) | 191 |\n"
                   "| Pop | non_personalised | sequential | 0.0449 | — | 1 (—) | 3 |\n")
    documented = estimate.documented_costs(doc)
    assert list(documented) == [("NeuMF", "ml-100k", 30, "cpu")]
    composer = Composer()
    default = composer.resolved(["model=neumf"])
    cost = estimate.cost_of(default, {}, documented)
    assert cost.seconds == 191 and cost.source.startswith("docs/models.md")
    # Another epoch budget, or a time-ordered split, was not measured there.
    assert estimate.cost_of(composer.resolved(["model=neumf", "trainer=tiny"]), {}, documented) is None
    assert estimate.cost_of(composer.resolved(["model=neumf", "split=sequential"]), {}, documented) is None
    # A measured cost here wins over the documented one.
    measured = {estimate.cost_key(default): estimate.Cost(50.0, "median of 2 records here")}
    assert estimate.cost_of(default, measured, documented).seconds == 50.0


def test_the_time_left_line_lists_each_model_without_a_cost():
    known = [("BPR", estimate.Cost(60.0, "here"))] * 12
    line = estimate.time_left_line(known + [("SGL", None)] * 3 + [("NeuMF", None)] * 1)
    assert line == "estimated time left: 12 min for 12 cells; unknown for 1 cell of NeuMF, 3 cells of SGL (no measured cost)"
    assert estimate.time_left_line([("SGL", None)]) == "estimated time left: unknown for 1 cell of SGL (no measured cost)"
