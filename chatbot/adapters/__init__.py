"""Surfaces: translate input into engine actions and neutral views into what each surface shows."""
