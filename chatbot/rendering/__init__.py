"""Jinja2 sandbox for replies and notes, and the text escaping every output needs."""
