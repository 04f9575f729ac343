"""OmegaConf nodes to plain Python values, for hashing, JSON and code that takes dicts."""
from __future__ import annotations

from omegaconf import OmegaConf


def to_plain(node):
    """``node`` as plain dicts and lists with interpolations resolved; a non-OmegaConf value as it is."""
    if OmegaConf.is_config(node):
        return OmegaConf.to_container(node, resolve=True)
    return node
