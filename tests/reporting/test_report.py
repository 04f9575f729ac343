"""`strikebench report` on a tiny real sweep, and the per-user adapter it sits on."""
from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from PIL import Image
from scipy import stats
from tests.reporting.test_report_sweep import loss_share_by_hand, random_strike, tiny_results

from strikebench.analysis import PairedComparison, boycott_summary, paired_test, validate_per_user_table
from strikebench.results import store
from strikebench.results.per_user_table import per_user_table

pytestmark = pytest.mark.slow  # ML-100K sweeps (module fixtures) behind every report test


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return tiny_results(tmp_path_factory)


@pytest.fixture(scope="module")
def report(sweep, tmp_path_factory):
    from strikebench.reporting.report import main

    out = tmp_path_factory.mktemp("report")
    assert main([str(sweep), "--out", str(out)]) == 0
    return out


def test_per_user_table_has_both_views_and_runs_the_paired_measures(sweep):
    table = per_user_table(sweep)
    expected = 0
    for record in store.iter_records(sweep):
        per_user = store.read_per_user(store.cell_dir(sweep, record["cell_key"]))
        expected += len(per_user) + int(per_user["in_company"].sum())  # holdout rows + company rows
    assert len(table) == expected
    checked = validate_per_user_table(table)
    assert set(checked["view"]) == {"holdout", "company"}
    assert set(checked["company"]) == {"incumbent", "competitor"}
    assert "attribute:gender=F" in set(checked["selector"])
    holdout = checked[(checked["view"] == "holdout") & (checked["company"] == "incumbent")
                      & (checked["lever"] == "strike") & (checked["selector"] == "random")]
    summary = boycott_summary(holdout, "hit@10")
    loss = summary[(summary["perspective"] == "system") & (summary["measure"] == "strike_loss")
                   & (summary["participation"] == 0.5)]
    assert (loss["mean"] > 0).all() and len(loss) == 2  # both models lose hits at p = 0.5
    test = paired_test(holdout, PairedComparison("ndcg@10", a={"model": "ItemKNN"}, b={"model": "Pop"},
                                                 where={"participation": 0.0}))
    assert test.n == 2 * 943 and test.mean_difference > 0  # ItemKNN beats Pop per user on full data


def svg_texts(svg: str) -> set[str]:
    """The texts of a matplotlib SVG (each drawn text carries its string as a comment)."""
    return set(re.findall(r"<!-- (.*?) -->", svg, flags=re.S))


@pytest.fixture(scope="module")
def embedded(report):
    """name -> texts of every figure embedded in report.html (decoded from its data URI)."""
    html = (report / "report.html").read_text()
    figures = {}
    for alt, data in re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', html):
        figures[data] = svg_texts(base64.b64decode(alt).decode())
    return figures


def test_report_html_is_one_file_with_every_figure_embedded(report, embedded):
    html = (report / "report.html").read_text()
    assert re.findall(r'<img src="([^"]+)"', html) and all(
        src.startswith("data:image/svg+xml;base64,") for src in re.findall(r'<img src="([^"]+)"', html))
    assert "figures/" not in html  # nothing to carry beside it
    md = (report / "report.md").read_text()
    pngs = re.findall(r"!\[[^]]*\]\((figures/[^)]+\.png)\)", md)
    assert len(pngs) == len(embedded) >= 5  # curves, L(p), group bars, companies, DLP
    for png in pngs:
        assert Image.open(report / png).info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert (report / png).with_suffix(".svg").is_file()
    assert (report / "results_table.csv").is_file()


def test_report_figures_name_what_the_lever_did(embedded):
    curves = next(t for caption, t in embedded.items() if caption.startswith("Degradation curves"))
    assert {"all users", "participants (no training data left: popularity)", "non-participants",
            "participation (realised share of the group acting)", "ndcg@10 (holdout test set)", "EASE", "ItemKNN", "Pop",
            "ml-100k, lever strike, random participants: ndcg@10 (mean, 95% CI)"} <= curves
    # every model ranks participants (no data left) by the same popularity: the panel says so
    assert any(t.startswith("all 3 models coincide") for t in curves)
    loss = next(t for caption, t in embedded.items() if caption.startswith("Loss share L(p)"))
    assert {"L(p): share of the personalisation gap lost", "EASE", "ItemKNN"} <= loss and "Pop" not in loss
    bars = next(t for caption, t in embedded.items() if caption.startswith("Targeted strikes"))
    assert "participants (no training data left: popularity)" in bars


def test_report_sections_and_reasons_instead_of_nan(sweep, report):
    md = (report / "report.md").read_text()
    for heading in (r"### strike: random participants", r"### strike: targeted \(homogeneous\) groups",
                    r"### transfer\(base_share=0\.0\): incumbent and competitor"):
        assert re.search(heading, md), heading
    for caption in ("L(p) per model, group and participation", "Thresholds: p at which L reaches a level",
                    "Back in time", "DLP per model and participation, holdout view",
                    "DLP scale: the worst and best values observed in the study",
                    "Participation at which DLP achieves a level"):
        assert caption in md, caption
    assert "— (reference model)" in md  # Pop's own loss share is undefined, and says why
    assert "attribute:gender=F" in md
    # EASE was measured up to p = 0.3, ItemKNN up to 0.5: where a level was not reached, and how far we looked.
    # All users lose nothing at p = 0, so L = 0.25 is crossed at 0.3 * 0.25 / L(0.3) on the mean curve and
    # on each seed's own (the CI: t over those crossings); L = 0.5 lies beyond p = 0.3.
    ease, per_seed, _ = loss_share_by_hand(per_user_table(sweep), "EASE", 0.3)
    assert per_seed.min() >= 0.25 and ease < 0.5
    at, crossings = 0.3 * 0.25 / ease, 0.3 * 0.25 / per_seed
    half = stats.t.ppf(0.975, 1) * crossings.std(ddof=1) / np.sqrt(2)
    assert f"| EASE, all users | {at:.3f} [{at - half:.3f}, {at + half:.3f}] | — (not reached within p ≤ 0.3) |" in md
    assert "never reached" not in md
    assert "smallest measured participation whose mean DLP exceeds" in md and "observed in the study" in md
    for text in (md, (report / "report.html").read_text()):
        assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE)


def test_participants_loss_share_compares_the_same_users_at_p0(sweep, report):
    """ItemKNN's participants and non-participants at p = 0.3, worked out from the per-user table: M(0)
    and M_ref are the same users' p = 0 values (ItemKNN's and Pop's, same seed), not everyone's."""
    pu = per_user_table(sweep)
    md = (report / "report.md").read_text()
    for group, label in (("participants", "participants"), ("non_participants", "non-participants")):
        expected, _, half = loss_share_by_hand(pu, "ItemKNN", 0.3, group)
        assert f"| ItemKNN, {label} | {expected:.3f} [{expected - half:.3f}, {expected + half:.3f}] |" in md
        against_everyone, _, _ = loss_share_by_hand(pu, "ItemKNN", 0.3, group, same_users=False)
        # the old, every-user baseline would print another number at the report's 3 decimals
        assert abs(expected - against_everyone) > 1e-3, group
        assert f"| ItemKNN, {label} | {against_everyone:.3f} [" not in md


def test_report_latex_tables_are_booktabs_and_escaped(sweep, tmp_path):
    from strikebench.reporting.report import main

    assert main([str(sweep), "--out", str(tmp_path), "--latex"]) == 0
    tex = {p.name: p.read_text() for p in tmp_path.glob("*.tex")}
    assert {"loss_share_ml-100k_strike.tex", "thresholds_ml-100k_strike.tex", "boycott_ml-100k_strike.tex",
            "leaderboard_ml-100k_strike_random.tex"} <= set(tex)
    for name, text in tex.items():
        for command in (r"\begin{tabular}", r"\toprule", r"\midrule", r"\bottomrule", r"\end{table}"):
            assert text.count(command) == 1, (name, command)
        body = text.split(r"\midrule")[1].split(r"\bottomrule")[0]
        assert not re.search(r"(?<!\\)[%_#]", body), name  # %, _ and # escaped
        assert "—" not in text and "≤" not in text  # as LaTeX: --- and $\leq$
    # EASE at p = 0.3 against p = 0, per seed: every test user's hits (strike), the non-participants' (boycott)
    pu = random_strike(per_user_table(sweep))
    pu = pu[pu["model"] == "EASE"]
    strike, boycott = [], []
    for seed in (0, 1):
        at, full = (pu[(pu["participation"] == p) & (pu["seed"] == seed)] for p in (0.3, 0.0))
        strike.append(at["hit@10"].sum() / full["hit@10"].sum() - 1)
        boycott.append(at.loc[~at["participant"], "hit@10"].sum() / full["hit@10"].sum() - 1)
    assert (f"EASE & {100 * np.mean(strike):+.1f}\\% & {100 * np.mean(boycott):+.1f}\\% & --- & --- \\\\"
            in tex["boycott_ml-100k_strike.tex"])
    board = tex["leaderboard_ml-100k_strike_random.tex"]
    assert r"linear\_autoencoder" in board and r"\dag" in board  # 2 seeds: flagged
    assert r"not reached within p $\leq$ 0.3" in board


def test_report_logs_figures_to_wandb_offline_without_a_key(sweep, tmp_path, monkeypatch, capfd):
    from strikebench.reporting.report import main

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    before = set((sweep / "wandb").glob("offline-run-*"))
    out = tmp_path / "report"
    assert main([str(sweep), "--out", str(out), "--wandb"]) == 0
    # Where the README's `wandb sync results/wandb/offline-run-*` finds it: beside the cells' runs.
    runs = set((sweep / "wandb").glob("offline-run-*")) - before
    assert len(runs) == 1 and any(next(iter(runs)).glob("*.wandb"))
    assert f"wandb:    {next(iter(runs))}" in capfd.readouterr().out


def test_report_needs_records(tmp_path):
    from strikebench.errors import StrikebenchError
    from strikebench.reporting.report import main

    with pytest.raises(StrikebenchError, match="no records"):
        main([str(tmp_path)])

