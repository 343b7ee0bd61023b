"""What a failed call to Teams means for the job that made it: wait and retry, or give up.

The SDK's REST client raises `aiohttp.ClientResponseError` (status and headers, `Retry-After` among them) for any
answer but 2xx, and lets timeouts and connection errors through. Microsoft says to retry 429, 412, 502 and 504
with backoff; a 429 or 412 is Teams refusing the call (nothing happened), while a 5xx or a lost answer leaves the
outcome unknown.
"""

from __future__ import annotations

import aiohttp

from chatbot.adapters.teams.client import TokenUnavailable
from chatbot.scheduler.worker import Permanent, Retry

REFUSED = {429, 412}  # Teams did not take the call
# No retry can fix these: a conversation the bot is not in or that is gone (403, 404), a message over the size
# limit (413), a request Teams does not accept (400), a token it refuses (401: the app's credentials are wrong).
PERMANENT = {400, 401, 403, 404, 405, 409, 413, 415}


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), 300))


def retry_after(exc: aiohttp.ClientResponseError, default: float) -> float:
    value = exc.headers.get("Retry-After") if exc.headers is not None else None
    try:
        return max(float(value), 0.0) if value is not None else default
    except ValueError:
        return default


def as_outcome(exc: BaseException, attempts: int, *, earlier_unknown: bool = False) -> Retry | Permanent | None:
    """The worker's outcome for `exc` (None: not a Teams failure; let it through). `earlier_unknown`: an earlier
    attempt of this job may have posted, which a refusal now must not make the worker forget."""
    wait = backoff(attempts)
    if isinstance(exc, aiohttp.ClientResponseError):
        status = exc.status
        if status == 429:
            after = retry_after(exc, wait)
            return Retry(
                after, f"Teams 429 (retry after {after:.0f} s)", nothing_done=not earlier_unknown, counts=False
            )
        if status in REFUSED:
            return Retry(retry_after(exc, wait), f"Teams {status}", nothing_done=not earlier_unknown)
        if status in PERMANENT:
            return Permanent(f"Teams answered {status}: {_short(exc.message)}")
        return Retry(retry_after(exc, wait), f"Teams {status}: outcome unknown")
    if isinstance(exc, TokenUnavailable):
        return Retry(wait, f"{exc}: nothing sent", nothing_done=not earlier_unknown)
    if isinstance(exc, aiohttp.ClientConnectorError):  # never connected: nothing can have reached Teams
        return Retry(wait, f"cannot reach Teams: {exc}", nothing_done=not earlier_unknown)
    if isinstance(exc, TimeoutError | aiohttp.ClientError):
        return Retry(wait, f"{type(exc).__name__} talking to Teams: outcome unknown")
    return None


def _short(text: str | None) -> str:
    return (text or "").replace("\n", " ")[:200]
