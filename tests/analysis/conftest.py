"""Helpers for the analysis tests: tiny long tables built by hand."""
import pandas as pd
import pytest


def rows_to_table(rows):
    """Build a validated results table from dicts; optional keys take their defaults."""
    from strikebench.analysis.table import validate_results_table

    return validate_results_table(pd.DataFrame(rows))


@pytest.fixture
def make_table():
    return rows_to_table
