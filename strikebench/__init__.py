"""strikebench: a benchmark of data leverage against recommender systems."""

__version__ = "0.1.0"
