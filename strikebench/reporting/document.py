"""A report as a list of blocks, written as Markdown and as one self-contained HTML file.

The Markdown references its figures by paths relative to the report (``figures/<name>.png``);
the HTML embeds them (each figure's SVG as a base64 data URI), so ``report.html`` alone is the
whole report, to mail or upload. Tables are DataFrames of display strings (see
``reporting.formatting``); a table with a ``name`` can also be written as LaTeX (``latex.py``).
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 1200px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0 1.4em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
td.reason { color: #8a5a00; font-style: italic; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; } p.note { color: #555; font-size: 0.92em; }
code { background: #f5f5f5; padding: 0 .2em; }
"""


@dataclass
class Document:
    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("heading", level, text))

    def text(self, text: str, note: bool = False) -> None:
        self.blocks.append(("text", text, note))

    def table(self, frame: pd.DataFrame, caption: str | None = None, name: str | None = None) -> None:
        """``name``: the table's file name without suffix when written as LaTeX (none: not written)."""
        self.blocks.append(("table", frame, caption, name))

    def named_tables(self) -> list[tuple[str, pd.DataFrame, str | None]]:
        """(name, frame, caption) of every table with a name and rows."""
        return [(b[3], b[1], b[2]) for b in self.blocks if b[0] == "table" and b[3] and not b[1].empty]

    def figure(self, path: str, caption: str) -> None:
        """``path``: relative to the report, e.g. ``figures/curves_ml-100k_strike.png``."""
        self.blocks.append(("figure", path, caption))

    # --- Markdown ---------------------------------------------------------------------------
    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out += ["#" * block[1] + " " + block[2], ""]
            elif kind == "text":
                out += [("> " if block[2] else "") + block[1], ""]
            elif kind == "table":
                if block[2]:
                    out += [f"*{block[2]}*", ""]
                out += [_markdown_table(block[1]), ""]
            elif kind == "figure":
                out += [f"![{block[2]}]({block[1]})", "", f"*{block[2]}*", ""]
        return "\n".join(out).rstrip() + "\n"

    # --- HTML ------------------------------------------------------------------------------
    def html(self, base_dir: Path) -> str:
        """The report as one HTML file; figures are read from ``base_dir`` and embedded."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                body.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "text":
                cls = ' class="note"' if block[2] else ""
                body.append(f"<p{cls}>{_inline(block[1])}</p>")
            elif kind == "table":
                if block[2]:
                    body.append(f"<p><em>{html.escape(block[2])}</em></p>")
                body.append(_html_table(block[1]))
            elif kind == "figure":
                src = _data_uri(Path(base_dir) / block[1])
                body.append(f'<figure><img src="{src}" alt="{html.escape(block[2], quote=True)}">'
                            f"<figcaption>{html.escape(block[2])}</figcaption></figure>")
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{CSS}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")

    def figures(self) -> list[str]:
        return [b[1] for b in self.blocks if b[0] == "figure"]


def _data_uri(png: Path) -> str:
    """The figure as a data URI: its SVG (vector, sharp at any zoom) where there is one, else the PNG."""
    svg = png.with_suffix(".svg")
    path, kind = (svg, "image/svg+xml") if svg.is_file() else (png, "image/png")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _inline(text: str) -> str:
    """Markdown's `code` spans as <code>; everything else escaped."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(no rows)"
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>(no rows)</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            text = str(value)
            cls = ' class="reason"' if text.startswith("— (") else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
