"""Textbook results the engine's mechanisms are checked against, one module per field of theory."""
