"""A results folder holding two studies: the report has a section per study, the sweep summary a
table and plot per study, and a leaderboard over both is refused naming them; no measure uses a
row of the other study (its p = 0, its reference model)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from tests.reporting.test_report_sweep import loss_share_by_hand, random_strike, tiny_results

from strikebench.analysis import ResultsTableError
from strikebench.reporting.load import load_results
from strikebench.reporting.settings import analysis_settings

pytestmark = pytest.mark.slow  # ML-100K sweeps of two studies

# EASE's p = 0.3 cells go to study B, without any p = 0 cell: in B, EASE has no full-data value
IN_B = {("EASE", 0.3)}


def study_of(table):
    return ["B" if (m, p) in IN_B else "A" for m, p in zip(table["model"], table["participation"])]


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory):
    results = load_results(tiny_results(tmp_path_factory))
    table = results.table.copy()
    table["study"] = study_of(table)
    results.__dict__["table"] = table  # as if the records named their studies
    return results


def test_per_user_rows_take_their_cells_study(two_studies):
    per_user = two_studies.per_user
    assert set(per_user.loc[(per_user["model"] == "EASE") & (per_user["participation"] == 0.3), "study"]) == {"B"}
    assert set(per_user.loc[per_user["model"] != "EASE", "study"]) == {"A"}


def test_report_has_a_section_per_study_and_never_pools_them(two_studies, tmp_path):
    from strikebench.reporting.report import build_report

    doc, written = build_report(two_studies, tmp_path, analysis_settings())
    md = doc.markdown()
    assert "## Study A" in md and "## Study B" in md and "*Studies*" in md
    a, b = md.split("## Study A")[1].split("## Study B")
    # in A, EASE has p = 0 only: no curve; in B its p = 0.3 cells have no full-data value of their own study
    assert "EASE, all users" not in a
    assert re.search(r"\| EASE, all users \| — \(no full-data value\) \|", b)
    # ItemKNN's and Pop's cells are all in A: its L(0.3), worked out from A's per-user rows alone
    per_user = two_studies.per_user
    itemknn, _, half = loss_share_by_hand(per_user[per_user["study"] == "A"], "ItemKNN", 0.3)
    assert f"| ItemKNN, all users | {itemknn:.3f} [{itemknn - half:.3f}, {itemknn + half:.3f}] |" in a
    names = {p.name for p in written}
    assert "A_curves_ml-100k_strike.png" in names and "B_curves_ml-100k_strike.png" in names


def test_a_leaderboard_over_two_studies_is_refused_naming_them(two_studies):
    from strikebench.reporting.leaderboard import board_of, ranking_table

    with pytest.raises(ResultsTableError, match=r"a leaderboard compares rows of one study only.*2: A, B"):
        board_of(two_studies.table, two_studies.per_user, analysis_settings())
    with pytest.raises(ResultsTableError, match="A, B"):
        ranking_table(two_studies.table, analysis_settings())


def test_the_sweep_summary_is_per_study(two_studies, tmp_path, monkeypatch):
    from strikebench.reporting import sweep_summary
    from strikebench.results import store
    from strikebench.results.table import records_to_table

    monkeypatch.setattr(sweep_summary, "records_to_table",
                        lambda records: (lambda t: t.assign(study=study_of(t)))(records_to_table(records)))
    records = [(r, store.cell_dir(two_studies.results_dir, r["cell_key"])) for r in two_studies.records]
    text, figure = sweep_summary.summarize(records, tmp_path, "ndcg@10")
    assert text.startswith("### study A") and "### study B" in text
    b = text.split("### study B")[1]
    # EASE at 0.3 in B: no same users at p = 0 in its own study, so no change is shown. Per seed, each
    # group's mean over its users; shown as mean ± sd over seeds, after the realised share of the records
    pu = random_strike(two_studies.per_user)
    pu = pu[(pu["model"] == "EASE") & (pu["participation"] == 0.3)]
    assert set(pu["study"]) == {"B"}
    groups = [pu.groupby("seed")["ndcg@10"].mean()] + [
        pu[pu["participant"] == flag].groupby("seed")["ndcg@10"].mean() for flag in (True, False)]
    realised = np.mean([r["participants"]["count"] / r["participants"]["group_size"] for r in two_studies.records
                        if (r["config"]["model"]["name"], r["config"]["strike"]["participation"]) == ("EASE", 0.3)])
    cells = " | ".join(f"{g.mean():.4f} ± {g.std(ddof=1):.4f} | —" for g in groups)
    assert f"| EASE | 0.3 | {realised:.4g} | {cells} |" in b
    assert figure.name == "ndcg_at_10_vs_participation_study1.png"
    assert (tmp_path / "ndcg_at_10_vs_participation_study2.png").is_file()


def test_the_summarys_change_compares_the_same_users_at_p0(tmp_path_factory, tmp_path):
    """ItemKNN's participants at p = 0.3, worked out from the cells' per-user files."""
    from strikebench.reporting import sweep_summary
    from strikebench.results import store

    results = tiny_results(tmp_path_factory)
    records = [(r, store.cell_dir(results, r["cell_key"])) for r in store.iter_records(results)]
    cells = {(r["config"]["model"]["name"], r["config"]["strike"]["participation"], r["config"]["seed"],
              r["config"]["strike"]["lever"]["name"], r["config"]["strike"]["selector"]["name"]): path
             for r, path in records}
    changes = []
    for seed in (0, 1):
        at = store.read_per_user(cells[("ItemKNN", 0.3, seed, "strike", "random")])
        at = at[at["company"] == "incumbent"].set_index("user")
        full = store.read_per_user(cells[("ItemKNN", 0.0, seed, "strike", "random")])
        full = full[full["company"] == "incumbent"].set_index("user")
        users = at.index[at["participant"]]
        before = full.loc[users, "ndcg@10"].mean()
        changes.append((at.loc[users, "ndcg@10"].mean() - before) / before)
    table = sweep_summary.summary_table(sweep_summary.cell_rows(records, "ndcg@10"))
    row = table[(table["model"] == "ItemKNN") & (table["p"] == 0.3) & (table["lever"] == "strike")
                & (table["selector"] == "random")]
    assert row["participants_change"].item() == pytest.approx(np.mean(changes), abs=1e-12)
    assert row["seeds"].item() == 2
    assert {r["study"]["id"] for r, _ in records} == {row["study"].item()}  # one study, named by its records
