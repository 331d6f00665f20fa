"""A thin path for users of ``mesa.batch_run``: the model runs under it unchanged.

``mesa.batch_run`` builds ``model_cls(**params, rng=seed)``, steps it while
``model.running``, and reads ``model.datacollector``. :class:`BatchModel` is
:class:`~sim.ExchangeModel` plus a ``mesa.DataCollector`` whose model reporters
read the per-tick outcome recorder (one reporter per entry of
:data:`sim.metrics.OUTCOMES`), collected after every step. Parameters are
scenario paths with ``__`` for dots::

    from mesa.batchrunner import batch_run
    from sim.experiments.mesa_compat import BatchModel

    rows = batch_run(BatchModel,
                     parameters={"population__consumers": 300, "run__ticks": 20,
                                 "exchange__complex": [0.1, 0.5]},
                     rng=[1, 2], max_steps=20, data_collection_period=-1,
                     display_progress=False)

Note what ``batch_run`` does differently from ``exlab sweep``: it reuses seed i
for every parameter combination, keeps every result in memory, has no resume,
and sets the process-wide multiprocessing start method to "spawn".
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.metrics import OUTCOMES
from sim.model import ExchangeModel

__all__ = ["BatchModel", "outcome_reporters"]


def _reporter(index: int):
    def report(model: ExchangeModel) -> float:
        rec = model.recorder
        return float(rec.data[rec.n - 1, index]) if rec.n else np.nan

    return report


def outcome_reporters(names: list[str] | None = None) -> dict:
    """``DataCollector`` model reporters reading the latest recorded value of each outcome."""
    wanted = set(names) if names else None
    return {
        o.name: _reporter(i) for i, o in enumerate(OUTCOMES) if wanted is None or o.name in wanted
    }


class BatchModel(ExchangeModel):
    """ExchangeModel with a ``datacollector``, for ``mesa.batch_run`` and Mesa-style loops.

    Takes the same arguments as :class:`~sim.ExchangeModel` (``scenario``, ``rng``
    and flat overrides such as ``exchange__complex=0.5``).
    """

    def __init__(self, scenario=None, rng=None, *, record_messages: bool = False, **overrides):
        super().__init__(scenario, rng, record_messages=record_messages, **overrides)
        self.datacollector = mesa.DataCollector(model_reporters=outcome_reporters())

    def step(self) -> None:
        """One tick of the model, then one collection of every outcome."""
        super().step()
        self.datacollector.collect(self)
