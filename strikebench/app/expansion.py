"""The cells of a sweep, composed fast and exactly as Hydra composes them.

Hydra composes a config in two steps: it builds the config from the defaults list and the config
group overrides (``model=bpr``, ``trainer=tiny``, ``experiment=...``, anything under ``hydra``),
then applies the ``KEY=VALUE`` overrides to it one by one. A sweep of thousands of cells has only
a few distinct group combinations, so :class:`Composer` lets Hydra do the first step once per
combination and repeats only the second step per cell.

A cell's ``KEY=VALUE`` overrides are *simple* where setting the value directly cannot differ from
Hydra's way: a scalar value without ``${``, at a key that exists, is no container, and whose name
no interpolation reads. The others (``results_dir=...``, which ``work_dir`` reads; additions,
deletions, lists) join the combination that Hydra composes; a cell whose simple and other
overrides touch the same key goes wholly through Hydra's code, in its order. Then:

- :meth:`Composer.resolved` (what the cell key hashes) sets the simple values in the resolved
  combination, sharing everything else with the other cells;
- :meth:`Composer.config` sets them on a copy (or, ``shared=True``, on one object per combination).

``tests/app/test_sweep_expansion.py`` checks both against Hydra's ``compose`` on a sample of cells.
"""
from __future__ import annotations

import copy
import functools
import json
import re

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from strikebench.app.sweep import _first_line, compose_cell, config_repository
from strikebench.config.plain import to_plain
from strikebench.errors import ConfigError, StrikebenchError
from strikebench.results.study import DATASET_CHECKSUM

SCALARS = (str, int, float, bool, type(None))
WORD = re.compile(r"[A-Za-z_][\w-]*")


class _Combination:
    """One combination of config groups (and of the overrides that need Hydra), composed by Hydra."""

    def __init__(self, config):
        self.config = config  # DictConfig, before the cells' own KEY=VALUE overrides
        self.container = OmegaConf.to_container(config, resolve=False)
        self.read_by_interpolations = {word for text in _strings(self.container) if "${" in text
                                       for word in WORD.findall(text)}  # every word inside a ${...}
        self.scratches = {}  # set paths -> a copy that Composer.config(shared=True) reuses

    @functools.cached_property
    def resolved(self) -> dict:
        return plain_config(self.config)

    def path_of(self, override) -> list[str] | None:
        """Where a plain value may be set directly for ``override``; None where Hydra must apply it."""
        value = override.value()
        if (override.is_delete() or override.is_add() or override.is_force_add() or override.package is not None
                or not isinstance(value, SCALARS) or (isinstance(value, str) and "${" in value)):
            return None
        path = override.key_or_group.split(".")
        if any(not WORD.fullmatch(part) or part in self.read_by_interpolations for part in path):
            return None
        node = self.container
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None  # Hydra says "Could not override": let it
            node = node[part]
        return None if isinstance(node, (dict, list)) else path

    def scratch(self, paths: list[list[str]]):
        """A copy of the config for cells that set exactly ``paths`` (each sets them all anew)."""
        key = tuple(map(tuple, paths))
        if key not in self.scratches:
            self.scratches[key] = copy.deepcopy(self.config)
        return self.scratches[key]


class Composer:
    """Composes the cells of one command line; remembers each combination it composed.

    ``compose(overrides)`` is Hydra's composition of a combination: by default a cell's config
    (:func:`strikebench.app.sweep.compose_cell`); strikebench.app.jobs passes Hydra's sweep-job
    composition, with the hydra node, and Hydra's repository (which names are config groups)."""

    def __init__(self, compose=compose_cell, repository=None):
        self._compose = compose
        self._repository = repository or config_repository()
        self._parser = OverridesParser.create()
        self._parsed: dict[str, object] = {}
        self._is_group: dict[str, bool] = {}
        self._combinations: dict[tuple[str, ...], _Combination] = {}
        self._checksums: dict[str, str] = {}

    def resolved(self, overrides: list[str]) -> dict:
        """The cell's :func:`resolved_config` (what its key hashes); the dataset's checksum is
        computed once per dataset and data root.

        Shares unchanged parts with other cells: read it, do not change it."""
        combination, values = self._fast_route(overrides)
        if combination is None:
            plain = plain_config(self.config(overrides))
        else:
            plain = combination.resolved
            for path, value in values:
                plain = _with_value(plain, path, value)
        return _as_hashed(plain, self._checksum)

    def _checksum(self, dataset: dict, data_root) -> str:
        from strikebench.data.content_checksum import dataset_checksum

        key = json.dumps([dataset, data_root], sort_keys=True, default=str)
        if key not in self._checksums:
            self._checksums[key] = dataset_checksum(dataset, data_root)
        return self._checksums[key]

    def config(self, overrides: list[str], shared: bool = False):
        """The cell's config (a DictConfig), as ``compose_cell(overrides)`` gives it.

        ``shared=True`` returns one object per combination, changed by the next call: for a check
        that keeps nothing of it, without the cost of a copy per cell."""
        combination, values = self._fast_route(overrides)
        if combination is None:
            groups, settings = self._split(overrides)
            config = copy.deepcopy(self._combination(groups).config)
            try:
                ConfigLoaderImpl._apply_overrides_to_config(settings, config)
            except (HydraException, OmegaConfBaseException) as exc:
                raise ConfigError("command line", _first_line(exc)) from None
            return config
        config = combination.scratch([path for path, _ in values]) if shared else copy.deepcopy(combination.config)
        for path, value in values:
            OmegaConf.update(config, ".".join(path), value, merge=True)
        return config

    def _fast_route(self, overrides: list[str]):
        """The combination Hydra composes for this cell (its groups and the overrides that need
        Hydra) and the (path, value) pairs set on it; (None, None) where Hydra must do it all."""
        groups, settings = self._split(overrides)
        first = self._combination(groups)
        paths = [first.path_of(o) for o in settings]
        rest = [o for o, path in zip(settings, paths) if path is None]
        simple = [(o, path) for o, path in zip(settings, paths) if path is not None]
        if any(_overlap(o.key_or_group, other.key_or_group) for o, _ in simple for other in rest):
            return None, None  # their order matters: let Hydra apply them in it
        combination = self._combination(groups + rest)
        values = []
        for override, _ in simple:
            path = combination.path_of(override)  # the rest may add interpolations or keys
            if path is None:
                return None, None
            values.append((path, override.value()))
        return combination, values

    def parse(self, overrides) -> list:
        """Hydra's parsed overrides (each distinct line is parsed once)."""
        return [self._parse(line) for line in overrides]

    def _split(self, overrides: list[str]):
        """The cell's group overrides, and its KEY=VALUE overrides, each in their order."""
        groups, settings = [], []
        for override in self.parse(overrides):
            (groups if self._names_group(override) else settings).append(override)
        return groups, settings

    def _combination(self, overrides: list) -> _Combination:
        key = tuple(o.input_line for o in overrides)
        if key not in self._combinations:
            self._combinations[key] = _Combination(self._compose(list(key)))
        return self._combinations[key]

    def _parse(self, line: str):
        if line not in self._parsed:
            try:
                self._parsed[line] = self._parser.parse_override(line)
            except HydraException as exc:
                raise ConfigError("command line", _first_line(exc)) from None
        return self._parsed[line]

    def _names_group(self, override) -> bool:
        """As Hydra's defaults list decides: a config group name (not set to a dict), or anything
        under ``hydra``, which Hydra composes with the groups."""
        key = override.key_or_group
        if key not in self._is_group:
            self._is_group[key] = key == "hydra" or key.startswith(("hydra.", "hydra/")) or \
                self._repository.group_exists(key)
        return self._is_group[key] and not isinstance(override.value(), dict)


def resolved_config(cfg) -> dict:
    """The cell's config as plain values, without Hydra's own node, with the dataset's content
    checksum (``dataset_checksum``, computed from the files now): what the cell key hashes, so
    changed data never reuses a record and the same files anywhere give the same key. Split
    ratios are recorded as used, normalised as RecBole does ([8, 1, 1] is [0.8, 0.1, 0.1])."""
    from strikebench.data.content_checksum import dataset_checksum  # reads pandas: not for `status`

    return _as_hashed(plain_config(cfg), dataset_checksum)


def _as_hashed(plain: dict, checksum) -> dict:
    """``plain`` with its split as used and ``checksum(dataset, data_root)``; ``plain`` is kept."""
    from strikebench.data.split import split_as_used

    out = dict(plain)
    if isinstance(out.get("split"), dict):
        out["split"] = split_as_used(out["split"])
    trainer = out.get("trainer")
    if isinstance(trainer, dict) and trainer.get("data_path") == "auto":
        # recorded as the loader it resolves to: the key tells the two paths apart, and a default
        # cell shares its key with the same cell asked for by its path (docs/performance.md)
        out["trainer"] = {**trainer, "data_path": _loader(json.dumps(trainer, sort_keys=True, default=str),
                                                          json.dumps(out.get("model"), sort_keys=True, default=str))}
    out[DATASET_CHECKSUM] = checksum(out["dataset"], out.get("data_root"))
    return out


@functools.lru_cache(maxsize=None)  # once per trainer and model of a sweep, not once per cell
def _loader(trainer_json: str, model_json: str) -> str:
    """``trainer.data_path=auto`` resolved for this model (``recbole`` or ``fast``); ``auto`` stays
    where the model is unknown, so that validation stops the cell naming the field."""
    from strikebench.training.check import resolved_data_path

    try:
        return resolved_data_path(OmegaConf.create(json.loads(trainer_json)), OmegaConf.create(json.loads(model_json)))
    except (ValueError, StrikebenchError):
        return "auto"


def plain_config(config) -> dict:
    """A config as plain values with its interpolations resolved, without Hydra's own node."""
    container = to_plain(config)
    container.pop("hydra", None)
    return container


def _with_value(plain: dict, path: list[str], value) -> dict:
    """A copy of ``plain`` with ``value`` at ``path``; the dicts off the path are shared."""
    out = dict(plain)
    node = out
    for part in path[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    node[path[-1]] = value
    return out


def _overlap(key: str, other: str) -> bool:
    return key == other or key.startswith(other + ".") or other.startswith(key + ".")


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
