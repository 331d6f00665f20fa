"""Pure chart builders: axis titles carry registry units; colours come from the palette."""

import pandas as pd

from dashboard import charts, stats, theme
from sim.metrics import OUTCOMES


def _table():
    rows = []
    for run in ("Run 1", "Baseline"):
        for rep in range(3):
            for tick in range(1, 6):
                rows.append({"run": run, "replication": rep, "tick": tick,
                             "trust": 0.5 + 0.01 * rep + (0.1 if run == "Run 1" else 0),
                             "response_time_h": 3.0 + rep})
    return pd.DataFrame(rows)


def test_bands_give_mean_and_t_interval_per_tick():
    band = stats.bands(_table(), ["trust"])
    row = band[(band["run"] == "Run 1") & (band["tick"] == 1)].iloc[0]
    assert row["n"] == 3 and abs(row["mean"] - 0.61) < 1e-12
    assert row["lo"] < row["mean"] < row["hi"]


def test_series_chart_uses_slot_colours_and_units():
    band = stats.bands(_table(), ["trust", "response_time_h"])
    colors = {"Run 1": theme.slot_color(0), "Baseline": theme.BASELINE_COLOR}
    spec = charts.run_series_chart(band, "response_time_h", colors, dashed=("Baseline",)).to_dict()
    text = str(spec)
    assert "hours" in text and "Response time" in text and "Day" in text
    assert theme.SLOT_COLORS[0] in text and theme.BASELINE_COLOR in text


def test_every_outcome_has_a_titled_axis_with_its_unit():
    for o in OUTCOMES:
        assert o.unit in charts.outcome_title(o.name)


def test_palette_is_distinct():
    assert len(set(theme.SLOT_COLORS)) == 4
    assert len(set(theme.AGE_COLORS.values())) == 3
    assert len(set(theme.KIND_COLORS.values())) == len(theme.KIND_COLORS)
