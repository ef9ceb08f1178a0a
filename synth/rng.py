"""Independent random streams, one per named part of the city.

A stream is keyed by the seed and a name (crc32, not Python's salted hash), so
changing how much one part draws never shifts another part's draws.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(n.encode("utf-8")) for n in names)])


def choose(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """Keys of `weights` drawn with probability proportional to their values."""
    keys = list(weights)
    p = np.asarray([float(weights[k]) for k in keys])
    return _objects(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def pick(rng: np.random.Generator, items, size: int) -> np.ndarray:
    """Items drawn uniformly, as an object array."""
    items = _objects(items)
    return items[rng.integers(0, len(items), size=size)]


def _objects(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out
