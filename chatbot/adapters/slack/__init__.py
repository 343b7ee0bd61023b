"""Slack adapter: translate requests into service calls and neutral views into Block Kit."""
