"""Contract tests for `chatbot.storage`, run against SQLite always and PostgreSQL when TEST_DATABASE_URL is set.

Each PostgreSQL test gets a schema of its own (selected through the URL's `options=-csearch_path=…`), migrates it
with the real `upgrade`, and drops it afterwards. A TEST_DATABASE_URL that cannot be reached fails the tests.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from chatbot.domain.escalation import EscalationKind, Handoff, NewEscalation, PostRef, Priority, Surface
from chatbot.domain.jobs import JobKind, NewJob
from chatbot.domain.run import RunState, RunStatus
from chatbot.runtime import open_store
from chatbot.storage import (
    Store,
    create_engine,
    current_revision,
    head_revision,
    normalize_url,
    ping,
    redact_url,
    upgrade,
)
from chatbot.storage.db import DEFAULT_URL, _pg_options
from chatbot.storage.migrate import downgrade
from chatbot.storage.tables import UTCDateTime, metadata, new_run_id
from tests.conftest import BACKENDS

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
TABLES = {
    "runs",
    "audit_events",
    "processed_events",
    "escalations",
    "escalation_posts",
    "jobs",
    "away_marks",
    "teams_conversations",
    "escalation_sources",
    "digest_schedules",
    "cases",
    "case_counters",
    "case_links",
    "channel_holds",
}
T0 = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
VERSIONS = Path(__file__).parents[1] / "chatbot" / "storage" / "migrations" / "versions"
LATEST_MIGRATION = max(p.name for p in VERSIONS.glob("0*.py"))[:4]


def _state(version: int = 0, step: str = "start", status: RunStatus = RunStatus.ACTIVE) -> str:
    return RunState(
        playbook="clever-access", current="clever-access", step=step, version=version, status=status
    ).to_json()


async def _new_run(store: Store, *, run_id: str | None = None, status: str = "active", at: datetime = T0) -> str:
    run_id = run_id or new_run_id()
    await store.create_run(
        run_id=run_id,
        playbook_id="clever-access",
        playbook_version="0123456789ab",
        state_json=_state(),
        version=0,
        status=status,
        team_id="T0001",
        channel_id="C0001",
        owner_id="U0001",
        actor="U0001",
        at=at,
    )
    return run_id


async def _save(store: Store, run_id: str, expected: int, new: int, **overrides: Any) -> bool:
    arguments: dict[str, Any] = {
        "expected_version": expected,
        "state_json": _state(new, step=f"step-{new}"),
        "version": new,
        "status": "active",
        "actor": "U0002",
        "action": "choose",
        "detail": {"choice": new},
        "at": T0 + timedelta(minutes=new),
    }
    arguments.update(overrides)
    return await store.save_run(run_id, **arguments)


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


# Migrations


@pytest.mark.parametrize("runs", [1, 2])
async def test_upgrade_creates_tables_and_is_idempotent(db_url: str, runs: int) -> None:
    assert await current_revision(db_url) is None
    assert TABLES.isdisjoint(await _tables(db_url))
    for _ in range(runs):
        await upgrade(db_url)
    assert await _tables(db_url) == {*TABLES, "alembic_version"}
    assert await current_revision(db_url) == head_revision() == LATEST_MIGRATION


async def test_upgrade_again_keeps_data(store: Store, db_url: str) -> None:
    run_id = await _new_run(store)
    await upgrade(db_url)
    assert (await store.get_run(run_id)) is not None


async def test_migrations_match_the_models(db_url: str) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)

    def diff(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    await upgrade(db_url)
    await downgrade(db_url, "base")
    assert TABLES.isdisjoint(await _tables(db_url))
    assert await current_revision(db_url) is None
    await upgrade(db_url)
    assert await _tables(db_url) >= TABLES


async def test_concurrent_upgrades_do_not_collide(db_url: str) -> None:
    await asyncio.gather(*(upgrade(db_url) for _ in range(3)))
    assert await current_revision(db_url) == head_revision()


# Runs


async def test_create_and_get_round_trip(store: Store) -> None:
    run_id = new_run_id()
    at = datetime(2025, 3, 1, 11, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))  # 09:30:15 UTC
    created = await store.create_run(
        run_id=run_id,
        playbook_id="clever-access",
        playbook_version="0123456789ab",
        state_json=_state(),
        version=0,
        status="active",
        team_id="T0001",
        channel_id="C0001",
        owner_id="U0001",
        actor="U0001",
        at=at,
    )
    fetched = await store.get_run(run_id)
    assert fetched == created
    assert fetched.id == run_id and len(run_id) == 32
    assert (fetched.playbook_id, fetched.playbook_version, fetched.version, fetched.status) == (
        "clever-access",
        "0123456789ab",
        0,
        "active",
    )
    assert (fetched.team_id, fetched.channel_id, fetched.owner_id, fetched.message_ts) == (
        "T0001",
        "C0001",
        "U0001",
        None,
    )
    assert RunState.from_json(fetched.state_json) == RunState.from_json(_state())
    for stamp in (fetched.created_at, fetched.updated_at):
        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert stamp == at == T0
    assert await store.get_run(new_run_id()) is None


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        await _new_run(store, at=datetime(2025, 3, 1, 9, 30))


async def test_duplicate_run_id_is_rejected_without_an_audit_event(store: Store) -> None:
    run_id = await _new_run(store)
    with pytest.raises(IntegrityError):
        await _new_run(store, run_id=run_id)
    assert [event.action for event in await store.audit(run_id)] == ["start"]


async def test_unknown_status_is_rejected(store: Store) -> None:
    with pytest.raises(IntegrityError):
        await _new_run(store, status="paused")


async def test_cas_save_then_stale_save(store: Store) -> None:
    run_id = await _new_run(store)
    assert await _save(store, run_id, expected=0, new=1, status="finished")
    saved = await store.get_run(run_id)
    assert saved is not None
    assert (saved.version, saved.status, saved.state_json) == (1, "finished", _state(1, step="step-1"))
    assert saved.updated_at == T0 + timedelta(minutes=1)
    assert saved.created_at == T0

    assert not await _save(store, run_id, expected=0, new=2, state_json="stale")
    assert await store.get_run(run_id) == saved
    assert not await _save(store, new_run_id(), expected=0, new=1)


async def test_an_escalation_saved_with_an_answer_is_as_created_says_without_reading_it(store: Store) -> None:
    run_id = await _new_run(store)
    esc = NewEscalation(
        "e" * 32, EscalationKind.ESCALATED, "clever-tier2", Priority.HIGH, "check", Handoff("check", agent="U1"), "U1",
        run_id=run_id, agent=PostRef(Surface.SLACK, "C0001", "1700000000.000100"), person="julian",
    )  # fmt: skip
    at = T0 + timedelta(minutes=1)
    assert await _save(store, run_id, expected=0, new=1, escalation=esc)
    assert store.escalations.created(esc, at) == await store.escalations.get(esc.id)


async def test_concurrent_cas_exactly_one_wins(store: Store) -> None:
    run_id = await _new_run(store)
    results = await asyncio.gather(
        *(_save(store, run_id, expected=0, new=1, state_json=f"writer-{i}", detail={"writer": i}) for i in range(10))
    )
    assert results.count(True) == 1
    winner = results.index(True)
    run = await store.get_run(run_id)
    assert run is not None and (run.version, run.state_json) == (1, f"writer-{winner}")
    events = await store.audit(run_id)
    assert [(event.action, event.detail) for event in events] == [
        ("start", {"playbook_id": "clever-access", "playbook_version": "0123456789ab", "version": 0}),
        ("choose", {"writer": winner}),
    ]


async def test_set_message_and_find_by_it(store: Store) -> None:
    run_id = await _new_run(store)
    assert await store.set_message(run_id, "C0002", "1700000000.000100")
    run = await store.get_run(run_id)
    assert run is not None and (run.channel_id, run.message_ts) == ("C0002", "1700000000.000100")
    assert await store.get_run_by_message("C0002", "1700000000.000100") == run
    assert await store.get_run_by_message("C0001", "1700000000.000100") is None
    assert not await store.set_message(new_run_id(), "C0002", "1700000000.000200")


async def test_count_active_runs(store: Store) -> None:
    assert await store.count_active_runs() == 0
    first, _second = await _new_run(store), await _new_run(store)
    await _new_run(store, status="cancelled")
    assert await store.count_active_runs() == 2
    assert await _save(store, first, expected=0, new=1, status="finished")
    assert await store.count_active_runs() == 1


# Audit trail


async def test_audit_events_in_order_and_only_for_successful_saves(store: Store) -> None:
    run_id = await _new_run(store)
    other = await _new_run(store)
    assert await _save(store, run_id, expected=0, new=1, action="choose")
    assert not await _save(store, run_id, expected=0, new=1, action="lost-race")  # failed CAS: no audit row
    assert await _save(store, run_id, expected=1, new=2, action="submit", detail={"fields": {"ticket": "É-1"}})
    assert await _save(store, other, expected=0, new=1, action="cancel")

    events = await store.audit(run_id)
    assert [event.action for event in events] == ["start", "choose", "submit"]
    assert [event.id for event in events] == sorted(event.id for event in events)
    assert {event.run_id for event in events} == {run_id}
    assert events[2].detail == {"fields": {"ticket": "É-1"}}
    assert (events[1].actor, events[1].at) == ("U0002", T0 + timedelta(minutes=1))
    assert all(event.at.utcoffset() == timedelta(0) for event in events)
    assert await store.audit(new_run_id()) == []


async def test_state_and_audit_commit_together(store: Store) -> None:
    run_id = await _new_run(store)
    before = await store.get_run(run_id)
    with pytest.raises(IntegrityError):  # the audit insert fails (actor is NOT NULL) after the UPDATE matched
        await _save(store, run_id, expected=0, new=1, actor=None)
    assert await store.get_run(run_id) == before
    assert [event.action for event in await store.audit(run_id)] == ["start"]


async def test_append_audit_without_a_run(store: Store) -> None:
    event_id = await store.append_audit(run_id=None, actor="system", action="reload", detail={"playbooks": 3}, at=T0)
    assert isinstance(event_id, int)
    with pytest.raises(IntegrityError):  # foreign keys are enforced on SQLite too
        await store.append_audit(run_id=new_run_id(), actor="system", action="x", detail={}, at=T0)


# Idempotency keys


async def test_claim_event_once(store: Store) -> None:
    assert await store.claim_event("Ev0001", T0)
    assert not await store.claim_event("Ev0001", T0 + timedelta(seconds=3))
    assert await store.claim_event("Ev0002", T0)


async def test_concurrent_claims_of_one_key(store: Store) -> None:
    results = await asyncio.gather(*(store.claim_event("Ev0003", T0) for _ in range(10)))
    assert results.count(True) == 1


async def test_prune_processed_events(store: Store) -> None:
    for minutes in range(4):
        assert await store.claim_event(f"Ev{minutes}", T0 + timedelta(minutes=minutes))
    assert await store.prune(T0 + timedelta(minutes=2)) == 2
    assert await store.claim_event("Ev0", T0)  # forgotten, so claimable again
    assert not await store.claim_event("Ev3", T0)


# Health


async def test_ping(store: Store) -> None:
    assert await store.ping()
    assert await ping(store.engine)


async def test_ping_reports_an_unreachable_database() -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:9/nothing", poolclass=NullPool)
    try:
        assert not await ping(engine, max_seconds=2)
    finally:
        await engine.dispose()


async def test_clicks_on_an_unreachable_database_fail_as_database_errors() -> None:
    """The short path answers like SQLAlchemy would (OperationalError), so callers handle one kind of failure."""
    store = Store(create_engine("postgresql://nobody@127.0.0.1:9/nothing"))
    try:
        with pytest.raises(OperationalError):
            await store.get_run("r1")
        with pytest.raises(OperationalError):
            await _save(store, "r1", expected=0, new=1)
    finally:
        await store.close()


async def test_sqlite_connection_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'settings.sqlite3'}"
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            pragmas = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 2000, 1, 1]  # a 2 s busy wait (inside Slack's 3 s ack deadline); synchronous 1 = NORMAL


@pytest.mark.parametrize("db_url", BACKENDS[1:], indirect=True)
async def test_postgres_tests_use_their_own_schema(db_url: str) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            schema = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
            where = await connection.execute(
                text("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'runs'")
            )
            assert schema.startswith("test_")
            assert schema in set(where.scalars())
    finally:
        await engine.dispose()


# URLs


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://user:pw@host/db", "postgresql+asyncpg://user:pw@host/db"),
        ("postgresql://user:pw@host:5433/db", "postgresql+asyncpg://user:pw@host:5433/db"),
        ("postgresql+asyncpg://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://user:pw@host/db?sslmode=require", "postgresql+asyncpg://user:pw@host/db?ssl=require"),
        ("  postgres://u@h/d  ", "postgresql+asyncpg://u@h/d"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected
    assert normalize_url(normalize_url(given)) == expected


def test_normalize_url_keeps_awkward_passwords() -> None:
    url = normalize_url("postgres://user:p%40ss%2Fw%3Ard@host:5432/db")
    assert url.startswith("postgresql+asyncpg://")
    assert make_url(url).password == "p@ss/w:rd"


def test_normalize_sqlite_url_creates_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalize_url("") == DEFAULT_URL == "sqlite+aiosqlite:///data/chatbot.sqlite3"
    assert (tmp_path / "data").is_dir()
    assert normalize_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert (tmp_path / "var").is_dir()
    absolute = tmp_path / "abs" / "y.db"
    assert normalize_url(f"sqlite:///{absolute}") == f"sqlite+aiosqlite:///{absolute}"
    assert absolute.parent.is_dir()


def test_redact_url_hides_the_password() -> None:
    redacted = redact_url("postgres://user:s3cr3t@db.example.com:5432/app")
    assert "s3cr3t" not in redacted
    assert redacted == "postgres://user:***@db.example.com:5432/app"
    assert redact_url("sqlite+aiosqlite:///data/chatbot.sqlite3") == "sqlite+aiosqlite:///data/chatbot.sqlite3"
    assert "s3cr3t" not in redact_url("not a url s3cr3t")


def test_pg_options_become_server_settings() -> None:
    assert _pg_options("-csearch_path=a -c statement_timeout=5000 --lock-timeout=1s") == {
        "search_path": "a",
        "statement_timeout": "5000",
        "lock_timeout": "1s",
    }
    with pytest.raises(ValueError, match="unsupported"):
        _pg_options("-x")


def test_column_type_refuses_naive_datetimes_too() -> None:
    dialect = create_engine("sqlite://").dialect
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2025, 3, 1), dialect)
    stored = UTCDateTime().process_bind_param(datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))), dialect)
    assert stored == datetime(2025, 3, 1, 10)
    assert UTCDateTime().process_result_value(stored, dialect) == datetime(2025, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_postgresql_connections_stay_within_the_pool_size(db_url: str) -> None:
    """`DATABASE_POOL_SIZE` bounds what a process opens: the size for the per-click save, half that for the rest."""
    await upgrade(db_url)
    tag = f"chatbot-test-{uuid.uuid4().hex[:8]}"
    url = make_url(db_url)
    url = url.update_query_dict({"options": f"{url.query['options']} -capplication_name={tag}"})
    store = await open_store(url.render_as_string(hide_password=False), pool_size=4)
    admin = create_engine(db_url, poolclass=NullPool)
    try:
        run_ids = [await _new_run(store) for _ in range(40)]
        saved = await asyncio.gather(*(_save(store, run_id, expected=0, new=1) for run_id in run_ids))
        await asyncio.gather(*(store.get_run(run_id) for run_id in run_ids))
        async with admin.connect() as connection:
            opened = (
                await connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :tag"), {"tag": tag}
                )
            ).scalar_one()
        assert all(saved)
        assert 2 <= opened <= 4 + 2
    finally:
        await store.close()
        await admin.dispose()


@pytest.mark.parametrize("db_url", [BACKENDS[0]], indirect=True)
async def test_sqlite_write_ahead_log_stays_bounded_under_the_click_path(db_url: str) -> None:
    """The per-click connection is plain sqlite3, outside SQLAlchemy: its commits still checkpoint the log, so it
    does not grow without bound (3,000 saves of 3 kB write about 50 MB of log pages)."""
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    try:
        run_ids = [await _new_run(store) for _ in range(30)]
        big = "x" * 3000
        for version in range(100):
            for run_id in run_ids:
                assert await _save(store, run_id, expected=version, new=version + 1, state_json=big)
        wal = Path(make_url(db_url).database or "").with_name("chatbot.sqlite3-wal")
        assert wal.exists() and wal.stat().st_size < 8 * 1024 * 1024
        run = await store.get_run(run_ids[0])
        assert run is not None and (run.version, run.state_json) == (100, big)
    finally:
        await store.close()


@pytest.mark.parametrize("db_url", [BACKENDS[0]], indirect=True)
async def test_sqlite_log_stays_bounded_with_saves_arriving_all_the_time(db_url: str) -> None:
    """30 runs saved concurrently, 100 times each, a reader alongside: a checkpoint that ran while saves went on
    would never catch up with the log (a background checkpointer once let it reach 54 MB that way)."""
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    big = "x" * 3000

    async def clicks(run_id: str) -> None:
        for version in range(100):
            assert await _save(store, run_id, expected=version, new=version + 1, state_json=big)
            await asyncio.sleep(0)  # let the other agents in, as awaiting the ack's HTTP write would

    async def reader(run_ids: list[str], stop: asyncio.Event) -> int:
        reads = 0
        while not stop.is_set():
            for run_id in run_ids:
                assert await store.get_run(run_id) is not None
                reads += 1
            await asyncio.sleep(0)
        return reads

    try:
        run_ids = [await _new_run(store) for _ in range(30)]
        stop = asyncio.Event()
        reading = asyncio.create_task(reader(run_ids, stop))
        await asyncio.gather(*(clicks(run_id) for run_id in run_ids))
        stop.set()
        assert await reading > 0
        wal = Path(make_url(db_url).database or "").with_name("chatbot.sqlite3-wal")
        assert wal.exists() and wal.stat().st_size < 8 * 1024 * 1024
        assert [(await store.get_run(r)).version for r in run_ids] == [100] * 30  # type: ignore[union-attr]
    finally:
        await store.close()


@pytest.mark.parametrize("db_url", [BACKENDS[0]], indirect=True)
async def test_sqlite_save_waiting_for_the_write_lock_leaves_the_event_loop_free(db_url: str) -> None:
    """Saves run on the event loop's thread; one that finds the write lock taken (another process, or SQLAlchemy's
    connection mid-transaction) must wait elsewhere, and still be saved once the lock is free."""
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    blocker = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
    try:
        run_id = await _new_run(store)
        blocker.execute("BEGIN IMMEDIATE")  # hold the write lock
        saving = asyncio.create_task(_save(store, run_id, expected=0, new=1))
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert not saving.done()  # waiting for the lock...
        assert loop.time() - started < 1.0  # ...without holding up the loop (SQLite's own wait would, for 5 s)
        assert (await store.get_run(run_id)).version == 0  # type: ignore[union-attr]  # reads go on meanwhile
        blocker.execute("COMMIT")
        assert await asyncio.wait_for(saving, 5)
        assert (await store.get_run(run_id)).version == 1  # type: ignore[union-attr]
        assert await _save(store, run_id, expected=1, new=2)  # and the next save is straightforward again
    finally:
        blocker.close()
        await store.close()


@pytest.mark.parametrize("db_url", [BACKENDS[0]], indirect=True)
async def test_sqlite_idle_job_poll_takes_no_write_lock(db_url: str) -> None:
    """The worker polls every second. With nothing due, its poll must not take SQLite's one write lock (an UPDATE
    matching nothing still does): that stalled every click's save behind it under load. With a job due it still
    claims it, once."""
    await upgrade(db_url)
    store = Store(create_engine(db_url))
    blocker = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
    lease = timedelta(minutes=1)
    try:
        esc = NewEscalation(
            "e1", EscalationKind.ESCALATED, "clever-tier2", Priority.NORMAL, "check", Handoff("check"), created_by="U1"
        )
        await store.raise_escalation(
            esc, [NewJob(JobKind.PING, {}, due_at=T0 + timedelta(minutes=5), escalation_id="e1")], actor="U1", at=T0
        )
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock, as a click's save would
        assert await asyncio.wait_for(store.jobs.claim("w1", T0, limit=10, lease=lease), 1) == []
        blocker.execute("COMMIT")
        claimed = await store.jobs.claim("w1", T0 + timedelta(minutes=5), limit=10, lease=lease)
        assert [(job.kind, job.escalation_id) for job in claimed] == [("ping", "e1")]
        assert await store.jobs.claim("w2", T0 + timedelta(minutes=5), limit=10, lease=lease) == []
    finally:
        blocker.close()
        await store.close()
