"""What pyproject.toml cannot say: strikebench's packages plus the top-level conf/ (the Hydra
configs) installed as the package strikebench.conf, with every YAML file under it."""
from setuptools import find_packages, setup

setup(
    # hydra_plugins.strikebench_sweeper: strikebench's Hydra sweeper (hydra/sweeper: strikebench)
    packages=[*find_packages(include=["strikebench", "strikebench.*"]), "strikebench.conf",
              "hydra_plugins.strikebench_sweeper"],
    package_dir={"strikebench.conf": "conf"},
    package_data={"strikebench.conf": ["*.yaml", "**/*.yaml"]},
)
