"""What pyproject.toml cannot say: strikebench's packages plus the top-level conf/ (the Hydra
configs) installed as the package strikebench.conf, with every YAML file under it."""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["strikebench", "strikebench.*"]), "strikebench.conf"],
    package_dir={"strikebench.conf": "conf"},
    package_data={"strikebench.conf": ["*.yaml", "**/*.yaml"]},
)
