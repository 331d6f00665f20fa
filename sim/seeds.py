"""The random-number tree: one root seed, one named child stream per purpose.

Every stochastic function in ``sim`` takes a ``numpy.random.Generator``; no
module seeds a global generator. Streams are derived by name from the root
``SeedSequence`` so adding a stream never shifts the others.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["RngTree", "derive_seed"]


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def derive_seed(root: int, *path: int | str) -> int:
    """A 63-bit integer seed derived from ``root`` and a path of names or ints.

    Used for replication seeds in experiments: ``derive_seed(root, point, rep)``.
    """
    keys = [_key(p) if isinstance(p, str) else int(p) for p in path]
    ss = np.random.SeedSequence(int(root), spawn_key=tuple(keys))
    return int(ss.generate_state(2, dtype=np.uint32).view(np.uint64)[0] >> np.uint64(1))


class RngTree:
    """Named generators derived from one root seed."""

    def __init__(self, root: int):
        self.root = int(root)
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (created once, then reused)."""
        if name not in self._cache:
            ss = np.random.SeedSequence(self.root, spawn_key=(_key(name),))
            self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return self._cache[name]

    def int_seed(self, name: str) -> int:
        """A plain int seed for libraries that take one (networkx)."""
        return derive_seed(self.root, name) % (2**32)
