"""Behaviour rules: pure functions over numpy arrays, called by the model's phases."""
