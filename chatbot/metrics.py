"""Prometheus metrics, one registry per runtime (no globals, so tests can build several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

ACK_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chatbot_slack_requests", "Slack requests received, by kind", ["kind", "status"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "chatbot_slack_ack_seconds",
            "Time from receiving a Slack request to answering it",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter("chatbot_errors", "Errors by kind", ["kind"], registry=self.registry)
        self.api_calls = Counter(
            "chatbot_slack_api_calls",
            "Slack Web API calls by method and result",
            ["method", "result"],
            registry=self.registry,
        )
        self.api_retries = Counter(
            "chatbot_slack_api_retries", "Slack Web API retries by reason", ["reason"], registry=self.registry
        )
        self.active_runs = Gauge("chatbot_active_runs", "Playbook runs not yet finished", registry=self.registry)
        self.jobs = Counter(
            "chatbot_jobs", "Jobs run by the worker, by kind and result", ["kind", "result"], registry=self.registry
        )
        self.ping_latency = Histogram(
            "chatbot_ping_latency_seconds",
            "From an escalation's creation to its first ping in Slack",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.pending_jobs = Gauge("chatbot_pending_jobs", "Jobs waiting to run", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
