"""Looking up a post whose answer was lost, inside Slack's history limits (one read a minute, 15 messages a page
for non-Marketplace apps since 2025), against the fake Slack enforcing them."""

from __future__ import annotations

import time

import aiohttp
import pytest

from chatbot.adapters.slack.client import build_client
from chatbot.adapters.slack.gateway import SlackGateway
from chatbot.adapters.slack.lookup import Absent, Found, HistoryGate, PostFinder, Unknown
from chatbot.manifest import BOT_SCOPES
from chatbot.metrics import Metrics
from tests.fakeslack import FakeSlack

CHANNEL = "C0TIER2"


class Ticking:
    """A monotonic clock the test moves: the app's history gate and the fake's limiter share it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking() -> Ticking:
    return Ticking()


@pytest.fixture
async def slack(ticking):
    async with FakeSlack(clock=ticking) as fake:
        fake.limit_history(per_minute=1, page=15)
        yield fake


@pytest.fixture
async def gateway(slack):
    async with aiohttp.ClientSession() as http:
        metrics = Metrics()
        yield SlackGateway(build_client("xoxb-1", slack.api_url, http, metrics, retries=False), http, metrics)


def later() -> float:
    """The finder's wall clock, a while after the attempts in these tests: their windows have closed."""
    return time.time() + 30


def post(slack: FakeSlack, marker: str, thread_ts: str | None = None) -> dict:
    blocks = [{"type": "section", "block_id": marker, "text": {"type": "mrkdwn", "text": marker}}]
    return slack.workspace.post_bot_message(CHANNEL, text=marker, blocks=blocks, thread_ts=thread_ts)


async def test_a_scan_continues_page_by_page_within_the_limit_and_finds_the_post(slack, gateway, ticking):
    started = time.time()
    lost = post(slack, "job-7")
    for i in range(40):  # everything else posted since, newest first in history: the lost post is on page 3
        post(slack, f"job-{100 + i}")
    finder = PostFinder(gateway, HistoryGate(per_minute=1, clock=ticking), wall=later)
    ended = time.time()
    found = await finder.find(CHANNEL, "job-7", thread_ts=None, started=started, ended=ended)
    assert isinstance(found, Unknown) and 59 <= found.retry_after <= 60  # one page read, then the limit
    for _ in range(2):
        ticking.now += 60
        found = await finder.find(CHANNEL, "job-7", thread_ts=None, started=started, ended=ended)
    assert found == Found(lost["ts"])
    reads = slack.calls_to("conversations.history")
    assert len(reads) == 3 and all(c.ok for c in reads)  # never refused: the app kept to Slack's pace
    assert [bool(c.params.get("cursor")) for c in reads] == [False, True, True]


async def test_markers_seen_on_the_way_answer_the_next_look_up_without_reading_again(slack, gateway, ticking):
    started = time.time()
    first, second = post(slack, "job-1"), post(slack, "job-2")
    finder = PostFinder(gateway, HistoryGate(per_minute=1, clock=ticking), wall=later)
    assert await finder.find(CHANNEL, "job-2", thread_ts=None, started=started, ended=time.time()) == Found(
        second["ts"]
    )
    assert await finder.find(CHANNEL, "job-1", thread_ts=None, started=started, ended=time.time()) == Found(first["ts"])
    assert len(slack.calls_to("conversations.history")) == 1  # the pings of one crash share one read


async def test_a_post_outside_the_attempts_window_is_not_taken_for_it(slack, gateway, ticking):
    post(slack, "job-3")  # an old post with the same marker: not this attempt's
    finder = PostFinder(gateway, HistoryGate(per_minute=1, clock=ticking), wall=later)
    soon = time.time() + 20  # an attempt well after that post (its window has closed: see later())
    assert await finder.find(CHANNEL, "job-3", thread_ts=None, started=soon, ended=soon + 1) == Absent()
    params = slack.calls_to("conversations.history")[0].params
    assert float(params["oldest"]) > float(slack.messages[CHANNEL][0]["ts"])


async def test_replies_in_a_thread_are_looked_up_in_the_thread(slack, gateway, ticking):
    started = time.time()
    root = post(slack, "ping")
    reminder = post(slack, "job-9", thread_ts=root["ts"])
    finder = PostFinder(gateway, HistoryGate(per_minute=1, clock=ticking), wall=later)
    found = await finder.find(CHANNEL, "job-9", thread_ts=root["ts"], started=started, ended=time.time())
    assert found == Found(reminder["ts"]) and len(slack.calls_to("conversations.replies")) == 1


async def test_without_the_history_scope_the_outcome_is_unknown_never_absent(ticking):
    slack = FakeSlack(clock=ticking, scopes=set(BOT_SCOPES) - {"channels:history"})
    async with slack, aiohttp.ClientSession() as http:
        metrics = Metrics()
        gateway = SlackGateway(build_client("xoxb-1", slack.api_url, http, metrics, retries=False), http, metrics)
        started = time.time()
        post(slack, "job-5")
        found = await PostFinder(gateway, HistoryGate(clock=ticking), wall=later).find(
            CHANNEL, "job-5", thread_ts=None, started=started, ended=started + 10
        )
        assert isinstance(found, Unknown) and not found.transient and "missing_scope" in found.reason


async def test_a_window_still_open_is_not_read_yet(slack, gateway, ticking):
    now = time.time()
    finder = PostFinder(gateway, HistoryGate(clock=ticking))  # the real wall clock: the window is still open
    found = await finder.find(CHANNEL, "job-6", thread_ts=None, started=now - 1, ended=now)
    assert isinstance(found, Unknown) and found.transient and 4 <= found.retry_after <= 5
    assert slack.calls_to("conversations.history") == []
