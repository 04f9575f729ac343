"""The words every record, table and report uses for who is measured and on which users.

views: ``holdout`` is every user of the fixed test set; ``company`` is the users the company
holds training data for. groups: everyone, the participants, and everyone else.
"""
from __future__ import annotations

VIEWS = ("holdout", "company")
GROUPS = ("all", "participants", "non_participants")
