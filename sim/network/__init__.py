"""Social graph construction and realized-influence tracking."""

from sim.network.csr import Csr, csr_from_edges
from sim.network.graphs import build_social_graph, csr_to_networkx
from sim.network.influence import InfluenceTracker

__all__ = ["Csr", "InfluenceTracker", "build_social_graph", "csr_from_edges", "csr_to_networkx"]
