"""The text form of :func:`strikebench.analysis.summary.analyse`: one small table per curve."""
from __future__ import annotations

from collections.abc import Callable, Sequence

MISSING = "-"
CONTEXT = ("dataset", "lever", "selector", "view", "group", "metric")


def _number(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else MISSING


def estimate(row: dict, key: str) -> str:
    """``0.464 [0.427, 0.501]``, ``0.464`` (no interval), or ``- (reason)``."""
    value = row.get(key)
    if value is None:
        return f"{MISSING} ({row['reason']})" if row.get("reason") else MISSING
    low, high = row.get("ci_low"), row.get("ci_high")
    interval = f" [{_number(low)}, {_number(high)}]" if low is not None and high is not None else ""
    return _number(value) + interval


def _grid(header: Sequence[str], body: list[list[str]]) -> list[str]:
    table = [list(header)] + body
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return ["    " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]


def blocks(rows: list[dict], column_key: str, value_key: str, heading: Callable[[object], str],
           context: Sequence[str] = CONTEXT) -> list[str]:
    """Per context (a curve without its model and ``column_key``): models x ``column_key`` values."""
    lines: list[str] = []
    for ctx in sorted({tuple(r[k] for k in context) for r in rows}, key=str):
        mine = [r for r in rows if tuple(r[k] for k in context) == ctx]
        columns = sorted({r[column_key] for r in mine})
        cells = {(r["model"], r[column_key]): estimate(r, value_key) for r in mine}
        body = [[m] + [cells.get((m, c), MISSING) for c in columns] for m in sorted({r["model"] for r in mine})]
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in zip(context, ctx)))
        lines += _grid(["model"] + [heading(c) for c in columns], body) + [""]
    return lines


def _sections(reference: str):
    """(measure, title, column, value, column heading, context) of each printed measure."""
    return [
        ("loss_share", f"Loss share L(p) = (M(0) - M(p)) / (M(0) - M_ref), M_ref = {reference} on full data",
         "participation", "loss_share", lambda p: f"p={p:g}", CONTEXT),
        ("thresholds", "Participation at which L(p) first reaches a level (interpolated)",
         "level", "participation", lambda x: f"L={x:g}", CONTEXT),
        ("back_in_time", "Back in time: participation at which the model falls to another model's full-data level",
         "reference_model", "participation", lambda m: f"-> {m}", CONTEXT),
        ("dlp", "Data Leverage Power", "participation", "dlp", lambda p: f"p={p:g}", CONTEXT + ("variant",)),
        ("dlp_achieves_at", "DLP achieves at: participation at which DLP exceeds a level",
         "level", "participation", lambda x: f"DLP>{x:g}", CONTEXT + ("variant", "rule")),
    ]


def format_text(result: dict) -> str:
    """Every study's measures as plain-text tables (each row's interval: its ``method``)."""
    reference = result["reference_model"]
    worst, best = result["dlp_worst"], result["dlp_best"]
    scale = ("observed in each study" if worst is None and best is None
             else f"worst {worst}, best {best} (None: observed)")
    out = [f"strikebench analyse: reference model {reference}; DLP worst / best {scale}.",
           "Intervals: 95% over seeds (Student-t over per-seed values); an undefined measure shows its reason.", ""]
    for study in result["studies"]:
        out += [f"== study: {study['study']} ==", ""] + [f"note: {n}" for n in study["notes"]]
        out += [""] if study["notes"] else []
        for key, title, column, value, heading, context in _sections(reference):
            if study[key]:
                out += [title] + blocks(study[key], column, value, heading, context)
    return "\n".join(out).rstrip() + "\n"


__all__ = ["estimate", "format_text"]
