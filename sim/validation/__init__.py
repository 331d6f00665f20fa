"""Validation of the engine's mechanisms against textbook results (:mod:`sim.validation.theory`)."""
