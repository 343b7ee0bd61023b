"""Support escalation procedures as interactive playbooks, run in Slack."""

__version__ = "0.1.0"
