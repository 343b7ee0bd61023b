"""The worker: claims due jobs from the jobs table under a lease and runs them through registered handlers."""
