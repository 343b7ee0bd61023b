"""Exit statuses of `chatbot try`, documented in its `--help` and the README. A light module: the parser needs them
before any command runs."""

from __future__ import annotations

FINISHED = 0  # the walk reached an outcome
INPUT_ENDED = 1  # the input ended before an outcome: a script's answers ran out
# Quitting is not finishing: a script must be able to tell. 2 is taken (configuration or playbooks unusable).
QUIT = 3
