"""The leaderboard as text: Markdown (``leaderboard.md``, rendered from ``leaderboard.csv`` alone,
so ``verify`` can check it) and booktabs LaTeX (``leaderboard.tex``). Both lay out one display
table per dataset, lever and selector (:func:`display_rows`)."""
from __future__ import annotations

import pandas as pd

from strikebench.analysis.uncertainty import MIN_SEEDS_FOR_P
from strikebench.reporting.board_tests import BOARD, CI_METHOD
from strikebench.reporting.formatting import MISSING, estimate, participation, pvalue
from strikebench.reporting.latex import booktabs

FEW = "†"  # marks a measure from fewer than MIN_SEEDS_FOR_P seeds


def _few(rows: pd.DataFrame) -> pd.Series:
    return rows["seeds"] < MIN_SEEDS_FOR_P


def _test(r) -> str:
    if not isinstance(r.next_vs, str):
        return MISSING
    if pd.isna(r.next_mean_difference):
        return f"{MISSING} ({r.next_reason})" if r.next_reason else MISSING
    interval = f" [{r.next_ci_low:+.3f}, {r.next_ci_high:+.3f}]" if pd.notna(r.next_ci_low) else ""
    return (f"{r.next_mean_difference:+.3f}{interval} vs {r.next_vs} (p={participation(r.next_test_p)}, "
            f"{int(r.next_n_pairs)} pairs, {int(r.next_n_seeds)} seeds)")


def _p(value, reason: str) -> str:
    return f"{MISSING} ({reason})" if pd.isna(value) and reason else pvalue(value)


def display_rows(rows: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """One board's rows as display strings."""
    lb = settings["leaderboard"]
    p, level = float(lb["participation"]), lb["loss_level"]
    few = _few(rows)
    out = []
    for r, flag in zip(rows.itertuples(), few):
        mark = FEW if flag else ""
        loss = estimate(r.loss_share, r.ci_low, r.ci_high, r.loss_share_reason)
        loss += ("*" if r.interpolated else "") + (mark if pd.notna(r.loss_share) else "")
        at_level = estimate(r.p_at_level, r.p_at_level_ci_low, r.p_at_level_ci_high, r.p_at_level_reason)
        at_level += mark if pd.notna(r.p_at_level) else ""
        reason = r.next_reason if pd.notna(r.next_mean_difference) else ""
        out.append({
            "rank": MISSING if pd.isna(r.rank) else str(int(r.rank)), "model": r.model, "family": str(r.family),
            f"L({p:g})": loss, f"p at L = {level:g}": at_level,
            "AUC": estimate(r.auc, reason=r.auc_reason or None),
            "full data": estimate(r.full_data, r.full_data_ci_low, r.full_data_ci_high),
            "seeds": str(int(r.seeds)) + mark, "vs next: Δ loss share": _test(r),
            "t p": _p(r.next_t_pvalue, reason), "Wilcoxon p": pvalue(r.next_wilcoxon_pvalue)})
    return pd.DataFrame(out)


def _notes(rows: pd.DataFrame, p: float) -> list[str]:
    notes = []
    interpolated = rows[rows["interpolated"] == True]  # noqa: E712 (column of bools)
    if len(interpolated):
        notes.append(f"\\* L({p:g}) interpolated linearly between the measured participations around {p:g} "
                     f"(it was not measured for: {', '.join(interpolated['model'])}).")
    few = rows[_few(rows)]
    if len(few):
        notes.append(f"{FEW} from fewer than {MIN_SEEDS_FOR_P} seeds ({', '.join(few['model'])}): an interval "
                     f"over so few participant draws is wide, and there are no p-values.")
    return notes


def markdown(board: pd.DataFrame, settings: dict) -> str:
    lb = settings["leaderboard"]
    p = float(lb["participation"])
    lines = ["# strikebench leaderboard", "",
             f"Ranked by L({p:g}), the share of the personalisation gap (model on full data vs "
             f"{settings['reference_model']} on full data) lost when a share {p:g} of users strikes; "
             f"all users, {lb['view']} view, metric `{board['metric'].iloc[0]}`. Smaller = more robust. "
             "Intervals: 95% Student-t over seeds (the participant draws), clipped to [0, 1] for participations. "
             "AUC: area under M(p)/M(0) over the measured p, divided by the p range (1 = nothing lost). "
             "The test compares each model's per-user loss share with the next model's, paired by seed and user; "
             f"the seeds are the replicates: Δ is the mean over seeds of each seed's mean difference (interval: "
             f"{CI_METHOD}), the t-test and Wilcoxon signed-rank test run on the per-seed means, and p-values "
             f"need at least {MIN_SEEDS_FOR_P} seeds. Δ < 0: this model loses less.", ""]
    for board_key, rows in board.groupby(BOARD, sort=True):
        dataset, lever, selector = board_key
        lines += [f"## {dataset} — {lever} ({selector})", ""]
        shown = display_rows(rows, settings)
        lines += ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
        notes = _notes(rows, p)
        if notes:
            lines += [""] + notes
        lines.append("")
    return "\n".join(lines)


def latex_tables(board: pd.DataFrame, settings: dict, name: str = "leaderboard") -> list[tuple]:
    """(name, display frame, caption) per dataset, lever and selector, for booktabs (the paired
    tests' long text left out)."""
    p = float(settings["leaderboard"]["participation"])
    out = []
    for key, rows in board.groupby(BOARD, sort=True):
        shown = display_rows(rows, settings).drop(columns=["vs next: Δ loss share", "t p", "Wilcoxon p"])
        notes = " ".join(_notes(rows, p)).replace("\\*", "*")
        caption = f"Leaderboard, {', '.join(key)}: ranked by L({p:g}), metric {board['metric'].iloc[0]}. {notes}"
        tag = "".join(c if c.isalnum() or c in "-._" else "-" for c in "_".join(key))
        out.append((f"{name}_{tag}", shown, caption.strip()))
    return out


def latex(board: pd.DataFrame, settings: dict) -> str:
    """The leaderboard as booktabs tables, one per dataset, lever and selector."""
    return "\n".join(booktabs(frame, caption, name) for name, frame, caption in latex_tables(board, settings))


__all__ = ["FEW", "display_rows", "latex", "latex_tables", "markdown"]
