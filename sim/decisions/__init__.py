"""Decisions: search the levers a firm controls for the best trade-offs (``exlab optimize``)."""
