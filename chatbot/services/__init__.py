"""Orchestration: load state, call the engine, persist state and audit together, hand effects to a gateway."""
