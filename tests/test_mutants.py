"""Every mutant of the mutation check (tests/mutation/) still applies to the current code.

The check itself is slow and runs by hand (``python -m tests.mutation.run``); this only makes
sure that when code moves, the mutants are moved with it instead of silently planting nothing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutation.mutants import MUTANTS, Mutant, MutantDoesNotApply

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_mutant_applies_exactly_once_and_names_existing_tests(mutant: Mutant):
    original = (ROOT / mutant.path).read_text()
    planted = mutant.planted(original)
    assert planted != original
    compile(planted, mutant.path, "exec")  # still Python: a kill must come from a test, not a SyntaxError
    for node in mutant.killers:
        path, name = node.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(), node


def test_a_mutant_that_no_longer_matches_fails_loudly():
    stale = Mutant("Mx", "a pattern the code lost", "strikebench/levers/participants.py",
                   (("no such line of code", "anything"),), ())
    with pytest.raises(MutantDoesNotApply, match="holds 0 copies .* the code moved"):
        stale.planted((ROOT / stale.path).read_text())
