"""Graph generators that write CSR arrays directly, for populations too large for networkx."""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import NetworkParams

__all__ = ["NETWORKX_MAX_NODES", "build", "supports"]

#: Above this many consumers the numpy generators replace networkx.
NETWORKX_MAX_NODES = 100_000


def supports(p: NetworkParams, n: int) -> bool:
    """True when a direct CSR generator exists and the graph is large enough to need it."""
    return False


def build(p: NetworkParams, n: int, segment: np.ndarray, seed: int):
    """Build a CSR graph directly (not yet available for any kind)."""
    raise NotImplementedError(p.kind)
