"""strikebench's Hydra sweeper (``hydra/sweeper: strikebench``): strikebench_sweeper.py."""
