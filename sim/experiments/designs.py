"""Designs: which points of parameter space a sweep visits.

Every sampled design has the same contract, as SALib's method modules do:
``sample(d, n, seed, ...) -> ndarray`` of shape ``(points, d)`` in the unit
hypercube [0, 1]^d. :meth:`Factor.from_unit` maps a coordinate to a parameter
value (linear for a continuous range, equal-width bins for integers and
value lists). Keeping the raw unit matrix lets the report hand SALib exactly
the matrix it sampled.

References:
    McKay, M. D., Beckman, R. J., & Conover, W. J. (1979). A comparison of three
    methods for selecting values of input variables in the analysis of output
    from a computer code. Technometrics, 21(2), 239-245.
    Saltelli, A. (2002). Making best use of model evaluations to compute
    sensitivity indices. Computer Physics Communications, 145(2), 280-297.
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational
    experiments. Technometrics, 33(2), 161-174.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.spec import Experiment, Factor

__all__ = ["Design", "build_design", "latin_hypercube", "morris", "salib_problem", "sobol"]


@dataclass(frozen=True)
class Design:
    """The points of an experiment.

    Attributes:
        points: One row per point: ``point`` then one column per varied parameter
            (the value applied to the scenario).
        unit: The sampler's matrix in [0, 1]^d (rows in point order), or None for a
            full factorial design.
    """

    points: pd.DataFrame
    unit: np.ndarray | None

    def params(self, point: int) -> dict:
        """The overrides of one point, ``{path: value}``."""
        row = self.points.iloc[point]
        return {c: _py(row[c]) for c in self.points.columns if c != "point"}


def salib_problem(factors: tuple[Factor, ...]) -> dict:
    """The SALib problem over the unit hypercube (names are parameter paths)."""
    return {
        "num_vars": len(factors),
        "names": [f.path for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def latin_hypercube(d: int, n: int, seed: int) -> np.ndarray:
    """``n`` Latin hypercube points in [0, 1]^d (McKay et al. 1979), via ``scipy.stats.qmc``."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)


def sobol(d: int, n: int, seed: int, second_order: bool = False) -> np.ndarray:
    """Saltelli's sample for Sobol indices: n (d + 2) rows, or n (2d + 2) with second order."""
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns about the scrambled sequence's balance
        return sobol_sample.sample(
            problem, n, calc_second_order=second_order, scramble=True, seed=seed % 2**32
        )


def morris(d: int, n: int, seed: int, levels: int = 4) -> np.ndarray:
    """``n`` Morris trajectories of ``d + 1`` points on a ``levels``-level grid (Morris 1991)."""
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    return morris_sample.sample(problem, n, num_levels=levels, seed=seed % 2**32)


def build_design(exp: Experiment) -> Design:
    """The points of ``exp``'s design, in a fixed order (same file, same points)."""
    factors, spec = exp.factors, exp.design
    names = [f.path for f in factors]
    if spec.kind == "full_factorial":
        combos = list(itertools.product(*(f.levels() for f in factors))) if factors else [()]
        unit = None
        rows = [dict(zip(names, c, strict=True)) for c in combos]
    else:
        d = len(factors)
        if spec.kind == "latin_hypercube":
            unit = latin_hypercube(d, spec.samples, spec.seed)
        elif spec.kind == "sobol":
            unit = sobol(d, spec.samples, spec.seed, spec.second_order)
        else:
            unit = morris(d, spec.samples, spec.seed, spec.levels)
        rows = [
            {f.path: f.from_unit(float(u)) for f, u in zip(factors, row, strict=True)}
            for row in unit
        ]
    points = pd.DataFrame(rows, columns=names)
    for f in factors:
        points[f.path] = points[f.path].astype(DTYPES[f.kind])
    points.insert(0, "point", np.arange(len(points), dtype=np.int64))
    return Design(points=points, unit=unit)


DTYPES = {"float": "float64", "int": "int64", "bool": "bool", "str": "object"}


def _py(v):
    """A numpy scalar as a Python scalar (the scenario loader checks Python types)."""
    return v.item() if hasattr(v, "item") else v
