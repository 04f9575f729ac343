"""`strikebench analyse`: every measure of a hand-made results table, as text and as JSON."""
import json

import pandas as pd
import pytest

from strikebench.analysis.summary import analyse
from strikebench.app.analyse import main

TRANSFER = "transfer(base_share=0.0)"


def table(study="study"):
    # one seed; ndcg@10 of the incumbent's strike curves, Pop on full data, and a competitor under CDC
    rows = [("MF", "strike", "incumbent", p, v) for p, v in ((0.0, 0.40), (0.2, 0.34), (0.4, 0.25))]
    rows += [("ItemKNN", "strike", "incumbent", p, v) for p, v in ((0.0, 0.30), (0.2, 0.28), (0.4, 0.22))]
    rows += [("Pop", "strike", "incumbent", 0.0, 0.10)]
    rows += [("MF", TRANSFER, "competitor", p, v) for p, v in ((0.2, 0.16), (0.4, 0.31))]
    return pd.DataFrame([dict(study=study, dataset="toy", model=m, lever=lv, company=c, participation=p,
                              metric="ndcg@10", value=v) for m, lv, c, p, v in rows])


def find(rows, **keys):
    hit = [r for r in rows if all(r[k] == pytest.approx(v) if isinstance(v, float) else r[k] == v
                                  for k, v in keys.items())]
    assert len(hit) == 1, hit
    return hit[0]


def test_analyse_by_hand():
    (study,) = analyse(table())["studies"]
    ls = study["loss_share"]
    # gap = 0.40 - 0.10 = 0.30: L(0.2) = 0.06 / 0.30 = 0.2, L(0.4) = 0.15 / 0.30 = 0.5 ; ItemKNN: 0.02 / 0.2, 0.08 / 0.2
    assert find(ls, model="MF", participation=0.2)["loss_share"] == pytest.approx(0.2)
    assert find(ls, model="MF", participation=0.4)["loss_share"] == pytest.approx(0.5)
    assert find(ls, model="ItemKNN", participation=0.4)["loss_share"] == pytest.approx(0.4)
    assert not [r for r in ls if r["model"] == "Pop"]  # the reference's own L is undefined by definition
    th = study["thresholds"]
    # L = 0.25 between 0.2 (0.2) and 0.4 (0.5): 0.2 + 0.05 * 0.2 / 0.3 ; 0.75 never
    assert find(th, model="MF", level=0.25)["participation"] == pytest.approx(0.2 + 0.05 * 0.2 / 0.3)
    assert find(th, model="MF", level=0.5)["participation"] == pytest.approx(0.4)
    never = find(th, model="MF", level=0.75)
    assert never["participation"] is None and never["reason"] == "never reached"
    bit = study["back_in_time"]
    # MF falls to ItemKNN's 0.30 between 0.2 (0.34) and 0.4 (0.25): 0.2 + 0.04 * 0.2 / 0.09
    assert find(bit, model="MF", reference_model="ItemKNN")["participation"] == pytest.approx(0.2 + 0.04 * 0.2 / 0.09)
    assert find(bit, model="ItemKNN", reference_model="MF")["participation"] == 0.0  # already below on full data
    assert find(bit, model="MF", reference_model="Pop")["reason"] == "never reached"
    dlp = study["dlp"]
    # observed scale of MF: W = 0.16 (competitor at 0.2), B = 0.40 (full data)
    # CDC: (0.31 - 0.16) / 0.24 = 0.625 ; strike: 1 - (0.34 - 0.16) / 0.24 = 0.25
    cdc = find(dlp, model="MF", lever=TRANSFER, participation=0.4)
    assert cdc["dlp"] == pytest.approx(0.625) and (cdc["worst"], cdc["best"]) == pytest.approx((0.16, 0.40))
    assert find(dlp, model="MF", lever="strike", participation=0.2)["dlp"] == pytest.approx(0.25)
    at = study["dlp_achieves_at"]
    assert find(at, model="MF", lever=TRANSFER, level=0.6)["participation"] == pytest.approx(0.4)
    assert find(at, model="MF", lever=TRANSFER, level=0.7)["reason"] == "never reached"
    assert find(at, model="MF", lever=TRANSFER, level=0.6)["rule"] == "smallest_exceeding"


def test_command_text_and_json(tmp_path, capsys):
    path = tmp_path / "curves.csv"
    table().to_csv(path, index=False)
    assert main([str(path)]) == 0
    text = capsys.readouterr().out
    assert "== study: study ==" in text and "M_ref = Pop" in text
    assert "0.200" in text and "0.500" in text and "0.625" in text  # L(0.2), L(0.4), CDC's DLP at 0.4
    assert main([str(path), "--json", "--reference", "ItemKNN", "--worst", "0.1", "--best", "0.4"]) == 0
    out = json.loads(capsys.readouterr().out)
    (study,) = out["studies"]
    assert out["reference_model"] == "ItemKNN" and (out["dlp_worst"], out["dlp_best"]) == (0.1, 0.4)
    # against ItemKNN (gap 0.40 - 0.30 = 0.10): L(0.2) = 0.06 / 0.10 = 0.6
    assert find(study["loss_share"], model="MF", participation=0.2)["loss_share"] == pytest.approx(0.6)
    # W = 0.1, B = 0.4: CDC at 0.4 = 0.21 / 0.3 = 0.7
    assert find(study["dlp"], model="MF", lever=TRANSFER, participation=0.4)["dlp"] == pytest.approx(0.7)


def test_command_per_study_and_errors(tmp_path, capsys):
    path = tmp_path / "two.parquet"
    pd.concat([table("split=random"), table("split=time").assign(value=lambda f: f["value"] / 2)]).to_parquet(path)
    assert main([str(path), "--json"]) == 0
    studies = json.loads(capsys.readouterr().out)["studies"]
    assert [s["study"] for s in studies] == ["split=random", "split=time"]
    # halving every value of one study leaves its shares unchanged: each study has its own baselines
    for s in studies:
        assert find(s["loss_share"], model="MF", participation=0.2)["loss_share"] == pytest.approx(0.2)
    assert main([str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strikebench analyse: error: results table not found") and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    table().drop(columns="metric").to_csv(bad, index=False)
    assert main([str(bad)]) == 2
    assert capsys.readouterr().err == "strikebench analyse: error: metric: missing required column\n"
    assert main([str(path), "--worst", "nan"]) == 2


def test_groups_without_same_user_baselines_are_left_out_and_said():
    rows = table()
    rows = pd.concat([rows, rows[rows["participation"] > 0].assign(group="participants")])
    (study,) = analyse(rows)["studies"]
    assert {r["group"] for r in study["loss_share"]} == {"all"}
    assert any("left out participants" in n for n in study["notes"])
