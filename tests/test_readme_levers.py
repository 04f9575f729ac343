"""The README's lever examples run as written: each composes, validates, acts (participation > 0)
and is labelled in the results by its own lever (compose and validate only; nothing is trained)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from strikebench.app.sweep import compose_cell
from strikebench.app.validate import validate
from strikebench.config.plain import to_plain
from strikebench.results.table import lever_label

README = Path(__file__).resolve().parents[1] / "README.md"
# lever label in the results table -> worked out from each example's own overrides and its config
EXPECTED = {
    "strike/selector=attribute": ("strike", 0.5, "attribute"),
    "strike/selector=fans": ("strike", 0.5, "fans"),
    "strike/selector=power_users": ("strike", 0.5, "activity"),
    "strike/lever=partial_strike": ("partial_strike(share=0.25)", 0.3, "random"),
    "strike/lever=category_strike": ("category_strike(field=class,value=Romance)", 0.3, "random"),
    "strike/lever=temporal_strike": ("temporal_strike(after=1998-02-01)", 0.3, "random"),
    "strike/lever=poison": ("poison(share=0.5,target=random)", 0.3, "random"),
    "strike/lever=transfer_strike": ("transfer+strike(base_share=0.0)", 0.3, "random"),
}


def lever_examples() -> list[list[str]]:
    """The overrides of each ``strikebench ...`` line of the bash block under "## Levers"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Levers"):]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    examples = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "strikebench", line
            examples.append(words[1:])
    return examples


def test_the_readme_shows_every_lever_example():
    keys = [next(w for w in example if w.startswith("strike/")) for example in lever_examples()]
    assert sorted(keys) == sorted(EXPECTED)


@pytest.mark.parametrize("example", lever_examples(), ids=lambda e: " ".join(e))
def test_readme_lever_example_composes_validates_and_acts(example, tmp_path):
    cfg = compose_cell([*example, f"results_dir={tmp_path}"])
    validate(cfg)
    label, participation, selector = EXPECTED[next(w for w in example if w.startswith("strike/"))]
    assert cfg.strike.participation == participation > 0
    assert cfg.strike.selector.name == selector
    assert lever_label(to_plain(cfg.strike.lever)) == label
