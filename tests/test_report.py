"""`strikebench report` on a tiny real sweep, and the per-user adapter it sits on."""
from __future__ import annotations

import re

import pytest
from test_report_sweep import tiny_results

from strikebench.analysis import PairedComparison, boycott_summary, paired_test, validate_per_user_table
from strikebench.results import store
from strikebench.results.per_user_table import per_user_table


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


def test_report_html_opens_standalone_with_every_figure(report):
    html = (report / "report.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) >= 5  # curves, L(p), group bars, companies, DLP
    for src in sources:
        assert not src.startswith(("/", "http")), src  # relative: the folder can move
        png = report / src
        assert png.is_file() and png.stat().st_size > 1000, src
        svg = png.with_suffix(".svg")
        assert svg.is_file() and svg.stat().st_size > 1000, svg
    assert (report / "report.md").is_file() and (report / "results_table.csv").is_file()


def test_report_sections_and_reasons_instead_of_nan(report):
    md = (report / "report.md").read_text()
    for heading in (r"### strike: random participants", r"### strike: targeted \(homogeneous\) groups",
                    r"### transfer\(base_share=0\.0\): incumbent and competitor"):
        assert re.search(heading, md), heading
    for caption in ("L(p) per model and participation", "Thresholds: p at which L reaches a level",
                    "Back in time", "DLP per model and participation, holdout view",
                    "Participation needed to reach a DLP level"):
        assert caption in md, caption
    assert "— (reference model)" in md  # Pop's own loss share is undefined, and says why
    assert "attribute:gender=F" in md
    for text in (md, (report / "report.html").read_text()):
        assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE)


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

