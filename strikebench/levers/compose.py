"""Levers applied in order, like torchvision's ``Compose``: a composition is itself a lever."""
from __future__ import annotations

from strikebench.errors import ConfigError
from strikebench.levers.base import Lever, Where


class Compose(Lever):
    """Apply ``levers`` in order to the same participants; ``name`` labels the composition in
    results tables (``transfer+strike``), while the record lists each lever it applied.

    Built from a config with a ``levers`` list by :func:`strikebench.levers.build.build_lever`.
    """

    name = "compose"

    def __init__(self, levers, name: str = "compose", *, where: "str | Where | None" = None):
        super().__init__(where)
        self.levers = list(levers)
        if not self.levers:
            raise ConfigError(self.where.field("levers"), "must be a non-empty list of lever configs, got []")
        self.name = name

    def __call__(self, state):
        for lever in self.levers:
            state = lever(state)
        return state

    def __repr__(self) -> str:
        return f"Compose({self.levers!r}, name={self.name!r})"
