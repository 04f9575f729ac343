"""Which cells of a sweep train together (``trainer.stack=K``): cells with one group key (the
same model, data and trainer; their seeds and strikes differ), K at a time, in their order.

Light on purpose: ``strikebench plan`` groups cells without importing torch unless a cell asks
for ``trainer.stack`` above 1.
"""
from __future__ import annotations


def asked_stack(config: dict) -> int:
    """``trainer.stack`` of a resolved config (1 when absent)."""
    return int(config.get("trainer", {}).get("stack", 1))


def groups_of(items: list, config_of=None) -> list[list]:
    """``items`` (cell configs, or anything ``config_of`` turns into a resolved config, plain
    dict; default ``resolved_config``) in the groups that train together: at most ``stack_of``
    cells of one group key each, in the order the cells came. A cell whose model does not stack
    is a group of its own."""
    if config_of is None:
        from strikebench.app.expansion import resolved_config as config_of
    buckets: dict[str, list] = {}
    sizes: dict[str, int] = {}
    for n, item in enumerate(items):
        config = config_of(item)
        if asked_stack(config) == 1:
            buckets[f"alone {n}"], sizes[f"alone {n}"] = [item], 1
            continue
        from strikebench.training.stacked.config import group_key, stack_of

        key = group_key(config)
        buckets.setdefault(key, []).append(item)
        sizes.setdefault(key, stack_of(config))
    return [cells[i:i + sizes[key]] for key, cells in buckets.items() for i in range(0, len(cells), sizes[key])]
