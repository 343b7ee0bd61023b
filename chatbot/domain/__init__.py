"""Plain data shared by every layer: errors, run state, inputs and neutral views."""
