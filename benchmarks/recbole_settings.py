"""RecBole's settings for an interaction file of user_id, item_id, rating and timestamp columns."""
from __future__ import annotations

# The columns as written: ratings on their raw scale (no normalisation), each field under its own
# name. The benchmarks' pipelines and the tests' tiny datasets read their files with these.
INTERACTION_SETTINGS = {
    "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]},
    "normalize_all": False,
    "USER_ID_FIELD": "user_id",
    "ITEM_ID_FIELD": "item_id",
    "RATING_FIELD": "rating",
    "TIME_FIELD": "timestamp",
}
