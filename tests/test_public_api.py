"""The public API is small and pinned: ``sim.__all__`` is exactly what the package
docstring documents (after Mesa's ``test_import_namespace``), and the Consumer
agent is a faithful view on the state arrays.
"""

from __future__ import annotations

import importlib
import re
from importlib.metadata import version

import numpy as np
import pytest

import sim
from sim.agents import Consumer
from sim.state import ConsumerState


def _documented_names() -> set[str]:
    """Names in the bullet list of ``sim.__doc__`` (``:class:`X```, ``:func:`X```, ````X````)."""
    names: set[str] = set()
    for line in sim.__doc__.splitlines():
        if line.lstrip().startswith("- "):
            names.update(re.findall(r":(?:class|func|data|mod):`~?(?:sim\.)?(\w+)`", line))
            names.update(re.findall(r"``(\w+)``", line))
    return names


def test_all_names_are_exactly_the_documented_public_api():
    assert sorted(sim.__all__) == sorted(set(sim.__all__)), "duplicate names in __all__"
    assert set(sim.__all__) == _documented_names()


def test_every_public_name_is_importable_from_the_package():
    module = importlib.import_module("sim")
    for name in sim.__all__:
        assert hasattr(module, name), name
        obj = getattr(module, name)
        if name != "__version__":
            assert obj.__module__.startswith("sim."), f"{name} comes from {obj.__module__}"


def test_star_import_gives_exactly_the_public_api():
    namespace: dict = {}
    exec("from sim import *", namespace)  # noqa: S102 - the star import is what is under test
    assert {k for k in namespace if k != "__builtins__"} == set(sim.__all__)


def test_version_matches_the_installed_distribution():
    assert sim.__version__ == version("exchangelab")


# ---------------------------------------------------------------- the Consumer view
@pytest.fixture
def model(tiny_scenario):
    m = sim.ExchangeModel(tiny_scenario(), rng=5)
    for _ in range(3):
        m.step()
    return m


def test_consumer_view_reads_its_row_of_every_state_array(model):
    c = model.consumers[17]
    assert isinstance(c, Consumer)
    for name in ("trust", "satisfaction", "attachment", "recognition", "firm", "segment",
                 "predicted_quality", "evidence_pos"):
        assert getattr(c, name) == getattr(model.state, name)[17].item(), name
    assert c.as_dict() == model.state.row(17)
    assert set(c.as_dict()) == {f for f in ConsumerState.__dataclass_fields__}


def test_setting_a_consumer_attribute_writes_its_row_of_the_state_array(model):
    before = model.state.satisfaction.copy()
    c = model.consumers[3]
    c.satisfaction = 0.25
    assert model.state.satisfaction[3] == np.float32(0.25)
    assert np.flatnonzero(model.state.satisfaction != before).tolist() == [3]
    model.state.satisfaction[3] = 0.75
    assert c.satisfaction == 0.75


def test_a_consumer_view_follows_the_model_as_it_steps(model):
    c = model.consumers[21]
    model.state.evidence_neg[21] = 50.0
    model.step()
    assert c.trust == model.state.trust[21].item()
    assert c.trust < 0.2


def test_the_same_consumer_is_returned_on_every_access(model):
    assert model.consumers[8] is model.consumers[8]
    assert model.consumers[-1] is model.consumers[len(model.consumers) - 1]


def test_consumer_neighbours_are_its_graph_ties(model):
    i = 11
    expected = model.graph.indices[model.graph.indptr[i]:model.graph.indptr[i + 1]]
    assert np.array_equal(model.consumers[i].neighbours(), expected)


@pytest.mark.parametrize("index", [300, 10_000, -301])
def test_out_of_range_consumer_index_names_the_index_given_and_the_valid_range(model, index):
    with pytest.raises(IndexError) as info:
        model.consumers[index]
    assert f"consumer {index} out of range 0..299" in str(info.value)


@pytest.mark.parametrize("index", [1.5, "3", None])
def test_a_non_integer_consumer_index_is_a_type_error_not_truncated(model, index):
    with pytest.raises(TypeError):
        model.consumers[index]


def test_numpy_integer_indices_are_accepted(model):
    assert model.consumers[np.int64(4)] is model.consumers[4]


def test_iterating_consumers_visits_every_consumer_in_order(model):
    ids = [c.index for c in model.consumers]
    assert ids == list(range(model.n)) and len(model.consumers) == model.n
