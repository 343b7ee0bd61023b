"""Start-up errors, importable without pulling in Slack or the database (the CLI catches them)."""

from chatbot.settings import SettingsError


class StartupError(Exception):
    """The app cannot start; the message says why in one line."""


__all__ = ["SettingsError", "StartupError"]
