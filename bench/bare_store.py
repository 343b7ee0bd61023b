"""What a bare bolt app must write to lose nothing: each step committed before its ack (bench_slack's durable bare).

The stateless bare app (bare_bolt_app.py) keeps its state in button values and writes nothing, so it says what
Slack's and bolt's side of a request costs on this machine, not what an app that survives a restart can do. This
store adds the comparable minimum of the chatbot's writes, hand-written with no engine, schema or ORM around it:
- a session start inserts its run and an audit row;
- a click, Restart or a valid submit moves the run from the version its button carries (a compare-and-set, so a
  stale button changes nothing) and adds an audit row;
- a new case, and an escalation by hand, insert a case and an audit row; `/case NUMBER` reads the case;
- `/oncall away` and `back` insert an audit row.
On PostgreSQL each write is one statement (asyncpg, data-modifying WITH; no reset query on a connection's return
to the pool, as the chatbot's); on SQLite one transaction on one
connection, in the event loop (WAL, synchronous=NORMAL, as the chatbot's SQLite). Its counts go in the bench's notes,
so a run shows the writes happened.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from urllib.parse import unquote

import asyncpg

POOL_SIZE = 20  # the chatbot's (storage/hotpath.py PG_SAVE_POOL_SIZE)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bare_runs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, channel_id TEXT NOT NULL,"
    " step INTEGER NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bare_cases (id TEXT PRIMARY KEY, number TEXT NOT NULL, user_id TEXT NOT NULL,"
    " channel_id TEXT NOT NULL, opened_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS bare_cases_number ON bare_cases (number)",
    "CREATE TABLE IF NOT EXISTS bare_events (subject TEXT NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL)",
)

_PG_START = (
    "WITH r AS (INSERT INTO bare_runs VALUES ($1, $2, $3, 0, 1, $4) RETURNING id)"
    " INSERT INTO bare_events SELECT id, 'start', $4 FROM r"
)
_PG_STEP = (
    "WITH r AS (UPDATE bare_runs SET step = $3, version = $2 + 1, updated_at = $5 WHERE id = $1 AND version = $2"
    " RETURNING id) INSERT INTO bare_events SELECT id, $4, $5 FROM r RETURNING subject"
)
_PG_CASE = (
    "WITH c AS (INSERT INTO bare_cases VALUES ($1, $2, $3, $4, $5) RETURNING id)"
    " INSERT INTO bare_events SELECT id, 'case.opened', $5 FROM c"
)
_PG_MARK = "INSERT INTO bare_events VALUES ($1, $2, $3)"
_PG_READ_CASE = "SELECT number, user_id, opened_at FROM bare_cases WHERE number = $1 LIMIT 1"


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """No reset query when a connection goes back to the pool (asyncpg's default sends one, a round trip the
    caller waits for): these statements leave no session state. The chatbot's pool does the same (hotpath.py)."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class BareStore:
    """`start`, `step`, `open_case`, `case`: each committed when it returns."""

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def start(self, run: str, user: str, channel: str) -> None:
        raise NotImplementedError

    async def step(self, run: str, version: int, step: int, action: str) -> bool:
        """Move the run from `version` to the next; False (nothing written) if it is no longer at `version`."""
        raise NotImplementedError

    async def open_case(self, case_id: str, number: str, user: str, channel: str) -> None:
        raise NotImplementedError

    async def case(self, number: str) -> tuple[str, str, str] | None:
        raise NotImplementedError

    async def mark(self, user: str, action: str) -> None:
        """`/oncall away` or `back`: an event row."""
        raise NotImplementedError

    async def counts(self) -> dict[str, int]:
        raise NotImplementedError


class PgStore(BareStore):
    def __init__(self, dsn: str, search_path: str | None) -> None:
        self._dsn = dsn
        self._settings = {"search_path": search_path} if search_path else {}
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "open() first"
        return self._pool

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=0, max_size=POOL_SIZE, server_settings=self._settings, reset=_keep_session
        )
        async with self.pool.acquire() as connection:
            for sql in _SCHEMA:
                await connection.execute(sql)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def start(self, run: str, user: str, channel: str) -> None:
        await self.pool.execute(_PG_START, run, user, channel, _now())

    async def step(self, run: str, version: int, step: int, action: str) -> bool:
        return await self.pool.fetchval(_PG_STEP, run, version, step, action, _now()) is not None

    async def open_case(self, case_id: str, number: str, user: str, channel: str) -> None:
        await self.pool.execute(_PG_CASE, case_id, number, user, channel, _now())

    async def case(self, number: str) -> tuple[str, str, str] | None:
        row = await self.pool.fetchrow(_PG_READ_CASE, number)
        return (row[0], row[1], row[2]) if row is not None else None

    async def mark(self, user: str, action: str) -> None:
        await self.pool.execute(_PG_MARK, user, action, _now())

    async def counts(self) -> dict[str, int]:
        return {t: int(await self.pool.fetchval(f"SELECT COUNT(*) FROM {t}")) for t in ("bare_runs", "bare_events")}


class SqliteStore(BareStore):
    def __init__(self, path: str) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "open() first"
        return self._db

    async def open(self) -> None:
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        for sql in _SCHEMA:
            self.db.execute(sql)

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _write(self, *statements: tuple[str, tuple[object, ...]]) -> int:
        """The statements in one transaction; the first one's row count (a guard's: 0 writes nothing more)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            first, *rest = statements
            changed = db.execute(*first).rowcount
            if changed:
                for sql, params in rest:
                    db.execute(sql, params)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return changed

    async def start(self, run: str, user: str, channel: str) -> None:
        now = _now()
        self._write(
            ("INSERT INTO bare_runs VALUES (?, ?, ?, 0, 1, ?)", (run, user, channel, now)),
            ("INSERT INTO bare_events VALUES (?, 'start', ?)", (run, now)),
        )

    async def step(self, run: str, version: int, step: int, action: str) -> bool:
        now = _now()
        return bool(
            self._write(
                (
                    "UPDATE bare_runs SET step = ?, version = ? + 1, updated_at = ? WHERE id = ? AND version = ?",
                    (step, version, now, run, version),
                ),
                ("INSERT INTO bare_events VALUES (?, ?, ?)", (run, action, now)),
            )
        )

    async def open_case(self, case_id: str, number: str, user: str, channel: str) -> None:
        now = _now()
        self._write(
            ("INSERT INTO bare_cases VALUES (?, ?, ?, ?, ?)", (case_id, number, user, channel, now)),
            ("INSERT INTO bare_events VALUES (?, 'case.opened', ?)", (case_id, now)),
        )

    async def case(self, number: str) -> tuple[str, str, str] | None:
        row = self.db.execute(
            "SELECT number, user_id, opened_at FROM bare_cases WHERE number = ? LIMIT 1", (number,)
        ).fetchone()
        return (row[0], row[1], row[2]) if row is not None else None

    async def mark(self, user: str, action: str) -> None:
        self._write(("INSERT INTO bare_events VALUES (?, ?, ?)", (user, action, _now())))

    async def counts(self) -> dict[str, int]:
        tables = ("bare_runs", "bare_events")
        return {t: int(self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}


async def bare_counts(url: str) -> dict[str, int]:
    """Rows the durable bare app wrote (read by the bench after the run, as a sanity check and a note)."""
    store = store_for(url)
    await store.open()
    try:
        return await store.counts()
    finally:
        await store.close()


def store_for(url: str) -> BareStore:
    """The store for a bench database URL (bench/databases.py): SQLAlchemy-style, as the chatbot is given."""
    if url.startswith("sqlite"):
        return SqliteStore(url.split(":///", 1)[1])
    base, _, query = url.partition("?")
    dsn = base.replace("postgresql+asyncpg://", "postgresql://", 1)
    options = unquote(query.partition("options=")[2]) if "options=" in query else ""
    search_path = options.partition("-csearch_path=")[2] or None
    return PgStore(dsn, search_path)
