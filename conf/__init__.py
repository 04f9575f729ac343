"""strikebench's Hydra configs; installed as the package ``strikebench.conf`` (see pyproject.toml)."""
