"""The worker: runs due jobs (escalation pings, re-escalation timers, notices) claimed from the jobs table."""
