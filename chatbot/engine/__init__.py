"""Playbook schema, loading with file:line errors, linting and the pure state machine."""
