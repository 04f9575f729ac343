"""Measures of data leverage over a long results table (docs/results-table.md, docs/analysis.md).

Pure functions from pandas DataFrames to DataFrames, following Vincent, Hecht & Sen, "Data
Strikes" (WWW 2019) and Vincent & Hecht, "Conscious Data Contribution" (CSCW 2021):

- ``table``: load and validate the results / per-user tables.
- ``studies``: one study per comparison (split a table, refuse several studies).
- ``baselines``: same-user baselines - every group compared with the same users at p = 0.
- ``aggregate``: means and t-intervals over seeds, differences paired with p = 0.
- ``gap``: loss as a share of the personalisation gap, L(p).
- ``thresholds``: participation at which L(p) reaches 0.25 / 0.5 / 0.75.
- ``back_in_time``: participation at which a model falls to an older algorithm's level.
- ``dlp`` / ``dlp_scale``: Data Leverage Power, its worst / best scale, and where it achieves a level.
- ``boycott``: strike versus boycott accounting (data labor power vs consumer power).
- ``significance`` / ``uncertainty``: paired tests and intervals over seeds (the replicates).
- ``crossing``: the rules the threshold-type measures share.
- ``summary``: every measure of a table at once (``strikebench analyse``).
"""
from strikebench.analysis.aggregate import (
    paired_differences, summarise_cells, summarise_paired_differences, t_interval,
)
from strikebench.analysis.back_in_time import back_in_time, reference_levels
from strikebench.analysis.baselines import baseline_column, group_baselines, with_group_baselines
from strikebench.analysis.boycott import boycott_summary, strike_vs_boycott
from strikebench.analysis.crossing import first_crossing
from strikebench.analysis.dlp import DLPOptions, data_leverage_power, dlp_per_seed, participation_for_dlp
from strikebench.analysis.gap import LossShareOptions, loss_share, loss_share_per_seed, personalisation_gap
from strikebench.analysis.significance import PairedComparison, PairedTestResult, paired_test
from strikebench.analysis.studies import require_one_study, split_studies, studies_of
from strikebench.analysis.table import (
    CELL_KEYS, CURVE_KEYS, KEYS, ResultsTableError, load_per_user_table, load_results_table,
    validate_per_user_table, validate_results_table,
)
from strikebench.analysis.thresholds import participation_thresholds
from strikebench.analysis.uncertainty import hierarchical_bootstrap

__all__ = [
    "CELL_KEYS", "CURVE_KEYS", "DLPOptions", "KEYS", "LossShareOptions", "PairedComparison",
    "PairedTestResult", "ResultsTableError", "back_in_time", "baseline_column", "boycott_summary",
    "data_leverage_power", "dlp_per_seed", "first_crossing", "group_baselines", "hierarchical_bootstrap",
    "load_per_user_table", "load_results_table", "loss_share", "loss_share_per_seed", "paired_differences",
    "paired_test", "participation_for_dlp", "participation_thresholds", "personalisation_gap",
    "reference_levels", "require_one_study", "split_studies", "strike_vs_boycott", "studies_of",
    "summarise_cells", "summarise_paired_differences", "t_interval", "validate_per_user_table",
    "validate_results_table", "with_group_baselines",
]
