"""kill -9 in the middle of delivering hundreds of pings: real `chatbot worker` processes against the fake Slack,
on SQLite and PostgreSQL. After the crash, every ping is posted, and none twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from chatbot.config import load_config
from chatbot.domain.escalation import Surface
from tests.conftest import BACKENDS
from tests.fakeslack import FakeSlack
from tests.helpers import ROOT
from tests.slackapp import TOKEN, running_app

PINGS = 200
GROUPS = 10
CHATBOT = Path(sys.executable).with_name("chatbot")


def crash_config(tmp_path: Path) -> Path:
    """Ten groups, each in a channel of its own (Slack's per-channel limit is per channel)."""
    people = {f"p{i}": {"name": f"Person {i}", "slack_user": f"U0CRASH{i:02d}"} for i in range(GROUPS)}
    groups = {
        f"g{i}": {"name": f"Group {i}", "channel": f"C0CRASH{i:02d}", "tiers": [[f"p{i}"]]} for i in range(GROUPS)
    }
    config = {
        "playbooks_dir": str(ROOT / "playbooks"),
        "templates_dir": str(ROOT / "templates"),
        "people": people,
        "groups": {**yaml.safe_load((ROOT / "config" / "example.yaml").read_text())["groups"], **groups},
    }
    config["people"].update(yaml.safe_load((ROOT / "config" / "example.yaml").read_text())["people"])
    path = tmp_path / "crash.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def start_worker(slack: FakeSlack, database_url: str, config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "CHATBOT_CONFIG": str(config),
        "SLACK_TIMEOUT_SECONDS": "1",
        "CHATBOT_JOB_LEASE_SECONDS": "4",  # so the test need not wait a minute for the dead worker's leases
        "SLACK_HISTORY_PER_MINUTE": "600",  # an internal app (exempt); the 1-a-minute limit: test_lookup.py
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        str(CHATBOT), "worker", cwd=ROOT, env=env, stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT
    )


def posted(slack: FakeSlack) -> Counter[str]:
    """How many times each ping was posted, by its text (each case's is unique)."""
    seen: Counter[str] = Counter()
    for i in range(GROUPS):
        for message in slack.messages[f"C0CRASH{i:02d}"]:
            if message.get("thread_ts") in (None, message["ts"]):
                seen[message["text"]] += 1
    return seen


EXPECTED = {f"Escalation to Group {n % GROUPS}: case {n}" for n in range(PINGS)}


async def crash_and_recover(db_url: str, tmp_path: Path, *, workers: int) -> None:
    """Queue PINGS pings, run `workers` worker processes, kill -9 the first mid-delivery (with one worker, start
    another), and check that every ping is posted once and recorded."""
    config_path = crash_config(tmp_path)
    log = tmp_path / "workers.log"
    config, _ = load_config(config_path)
    async with FakeSlack() as slack, running_app(slack, db_url, config) as app:
        ids = [
            (
                await app.runtime.deps.escalations.manual(
                    group_id=f"g{n % GROUPS}",
                    summary=f"case {n}",
                    priority="normal",
                    reference=str(n),
                    actor="U0AGENT1",
                    channel=None,
                )
            ).id
            for n in range(PINGS)
        ]
        slack.delay("chat.postMessage", 0.3)  # every post takes effect at once and is answered 0.3 s later
        running = [await start_worker(slack, db_url, config_path, log) for _ in range(workers)]
        await wait_until(lambda: sum(posted(slack).values()) >= 40, 60)
        running[0].send_signal(signal.SIGKILL)  # posts in flight: Slack has them, the worker never hears back
        await running[0].wait()
        at_crash = sum(posted(slack).values())
        assert 40 <= at_crash < PINGS
        if workers == 1:
            running.append(await start_worker(slack, db_url, config_path, log))
        for _ in range(900):
            pending = [j for j in await app.runtime.store.jobs.list(status="pending") if j.kind == "ping"]
            if not pending:
                break
            await asyncio.sleep(0.1)
        for process in running[1:]:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        seen = posted(slack)
        doubled = {text: n for text, n in seen.items() if n > 1}
        lost = sorted(EXPECTED - set(seen))
        assert (doubled, lost) == ({}, []), log.read_text()[-3000:]
        unrecorded = [i for i in ids if Surface.SLACK not in (await app.runtime.store.escalations.get(i)).posts]
        assert unrecorded == []  # each knows where its ping is (so reminders thread under it)
        failed = [j for j in await app.runtime.store.jobs.list(status="failed") if j.kind == "ping"]
        assert failed == []
        print(
            json.dumps(
                {"pings": PINGS, "posted_at_crash": at_crash, "reads": len(slack.calls_to("conversations.history"))}
            )
        )


async def wait_until(condition, seconds: float) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)


async def test_kill_9_of_the_worker_mid_delivery_loses_no_ping_and_doubles_none(db_url, tmp_path):
    await crash_and_recover(db_url, tmp_path, workers=1)


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_two_workers_one_killed_mid_delivery_lose_no_ping_and_double_none(db_url, tmp_path):
    await crash_and_recover(db_url, tmp_path, workers=2)
