"""Tables as LaTeX for a paper: booktabs (\\toprule, \\midrule, \\bottomrule), every cell escaped.

Each table is a ``table`` float with its caption and a label ``tab:<name>``; include it with
``\\input{<name>.tex}`` after ``\\usepackage{booktabs}``. Cells are the report's display strings
(``0.464 [0.427, 0.501]``, ``— (reference model)``); characters special to LaTeX are escaped and
the few non-ASCII symbols the report uses become their LaTeX commands.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from strikebench.results.atomic import atomic_file

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}"}
_SYMBOLS = {"—": "---", "–": "--", "−": "$-$", "≤": r"$\leq$", "≥": r"$\geq$", "Δ": r"$\Delta$", "±": r"$\pm$",
            "×": r"$\times$", "→": r"$\rightarrow$", "†": r"\textsuperscript{\dag}", "…": r"\ldots{}",
            "·": r"$\cdot$", "*": r"\textsuperscript{*}"}


def escape(text) -> str:
    """``text`` safe inside a LaTeX table cell."""
    return "".join(_SPECIAL.get(c) or _SYMBOLS.get(c) or c for c in str(text))


def booktabs(frame: pd.DataFrame, caption: str | None, name: str) -> str:
    """``frame`` (display strings) as a booktabs ``table`` float labelled ``tab:<name>``;
    the first column left-aligned, the others right-aligned."""
    columns = "l" + "r" * (len(frame.columns) - 1)
    lines = [r"\begin{table}[t]", r"\centering", r"\small"]
    if caption:
        lines.append(rf"\caption{{{escape(caption)}}}")
    label = "".join(c if c.isalnum() or c in "-.:" else "-" for c in name)
    lines += [rf"\label{{tab:{label}}}", rf"\begin{{tabular}}{{{columns}}}", r"\toprule",
              " & ".join(escape(c) for c in frame.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(v) for v in row) + r" \\" for row in frame.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_tables(tables, out_dir: Path) -> list[Path]:
    """Write each (name, frame, caption) as ``out_dir/<name>.tex``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame, caption in tables:
        path = out_dir / f"{name}.tex"
        with atomic_file(path, encoding="utf-8") as fh:
            fh.write(booktabs(frame, caption, name))
        paths.append(path)
    return paths


__all__ = ["booktabs", "escape", "write_tables"]
