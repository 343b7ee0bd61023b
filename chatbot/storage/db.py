"""Database URLs and engines: SQLite (aiosqlite) for one box, PostgreSQL (asyncpg) for anything shared.

`normalize_url` turns what operators paste (Heroku's `postgres://…`, plain `sqlite:///…`) into async driver URLs;
`create_engine` sets the per-backend connection options; `redact_url` is what may go in logs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shlex
import sqlite3
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite+aiosqlite:///data/chatbot.sqlite3"
# How long a write waits for SQLite's one write lock: well inside Slack's 3 s ack deadline, so an agent whose
# answer cannot be saved is told so (and can try again) before Slack gives up on the request.
SQLITE_BUSY_TIMEOUT_MS = 2000
# WAL with synchronous=NORMAL: a commit survives the app crashing or restarting (the promise here: no session,
# ping or timer lost on restart) but not a power cut of the machine, which FULL would also cover at the price of
# an fsync per click (a third of the throughput). Deployments that need that use PostgreSQL.
SQLITE_SYNCHRONOUS = "NORMAL"
SQLITE_READERS = 4  # connections for reads on a SQLite file: in WAL mode readers neither wait for nor block the writer
PG_POOL_SIZE = 10  # SQLAlchemy's pool by default: reads and the rarer writes (the per-click save has its own)

# What asyncpg.connect gets for each PostgreSQL engine made here, so a second pool can open the same connections.
_driver_params: weakref.WeakKeyDictionary[AsyncEngine, dict[str, Any]] = weakref.WeakKeyDictionary()

# Connection option: begin SQLite transactions with BEGIN IMMEDIATE (take the write lock up front).
SQLITE_BEGIN_IMMEDIATE = "chatbot_sqlite_begin_immediate"

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}


def normalize_url(url: str) -> str:
    """The async-driver URL for `url`; empty means the default SQLite file (its folder is created).

    `postgres://` and `postgresql://` become `postgresql+asyncpg://` (a libpq `sslmode=` becomes asyncpg's `ssl=`),
    `sqlite://` becomes `sqlite+aiosqlite://`, and the folder of a SQLite database file is created if missing.
    Everything after the scheme is kept as written.
    """
    url = url.strip() or DEFAULT_URL
    parsed = make_url(url)  # raises ArgumentError for what is not a URL
    rest = url.partition("://")[2]
    if parsed.drivername in _POSTGRES_SCHEMES:
        if "sslmode" in parsed.query and "ssl" not in parsed.query:
            rest = re.sub(r"([?&])sslmode=", r"\1ssl=", rest)
        return f"postgresql+asyncpg://{rest}"
    if parsed.drivername in _SQLITE_SCHEMES:
        _make_sqlite_folder(parsed)
        return f"sqlite+aiosqlite://{rest}"
    return url


def _make_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("mode") == "memory":
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def redact_url(url: str) -> str:
    """`url` with any password replaced by `***`, safe for logs."""
    try:
        return make_url(url.strip() or DEFAULT_URL).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url` (normalized first); extra keyword arguments go to `create_async_engine`.

    SQLite connections get WAL journaling, a 2 s busy timeout and foreign keys, and SQLAlchemy (not the driver)
    emits BEGIN, so DDL is transactional. PostgreSQL gets a fixed pool of PG_POOL_SIZE; libpq-style
    `options=-c name=value` in the URL (e.g. `-csearch_path=chatbot`) become asyncpg server settings.
    """
    parsed = make_url(normalize_url(url))
    foreign_keys = kwargs.pop("sqlite_foreign_keys", True)
    read_only = bool(kwargs.pop("sqlite_read_only", False))
    if parsed.get_backend_name() == "sqlite":
        # One connection: SQLite has one writer anyway, and connections queueing in SQLAlchemy's pool are cheap
        # where connections queueing on SQLite's file lock sleep in its busy handler (seconds under load).
        if parsed.database not in (None, "", ":memory:") and "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(parsed, **kwargs)
        event.listen(
            engine.sync_engine,
            "connect",
            lambda c, r: _sqlite_on_connect(c, r, foreign_keys=bool(foreign_keys), read_only=read_only),
        )
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # A fixed pool: overflow connections were opened and closed hundreds of times a minute under load. No
        # pre-ping (a SELECT 1 per checkout costs a fifth of the throughput): connections are recycled every 5
        # minutes, and one dropped by a server restart fails one request and is replaced.
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", PG_POOL_SIZE)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_recycle", 300)
        options = parsed.query.get("options")
        if options:
            if not isinstance(options, str):
                raise ValueError("give the 'options' URL parameter once")
            parsed = parsed.difference_update_query(["options"])
            connect_args = dict(kwargs.pop("connect_args", {}))
            settings = dict(connect_args.get("server_settings", {}))
            settings.update(_pg_options(options))
            connect_args["server_settings"] = settings
            kwargs["connect_args"] = connect_args
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        _cargs, params = engine.dialect.create_connect_args(engine.url)
        _driver_params[engine] = {**params, **kwargs.get("connect_args", {})}
    return engine


def driver_params(engine: AsyncEngine) -> dict[str, Any]:
    """The keyword arguments of `asyncpg.connect` for a PostgreSQL engine made by `create_engine`."""
    try:
        return dict(_driver_params[engine])
    except KeyError:
        raise ValueError("not a PostgreSQL engine made by chatbot.storage.create_engine") from None


def _pg_options(options: str) -> dict[str, str]:
    """libpq's `options` (`-c a=b -cc=d --e=f`) as server settings."""
    settings: dict[str, str] = {}
    tokens = shlex.split(options)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "-c" and index + 1 < len(tokens):
            index += 1
            setting = tokens[index]
        elif token.startswith(("-c", "--")):
            setting = token[2:]
        else:
            raise ValueError(f"unsupported PostgreSQL option {token!r}: use -c name=value")
        name, sep, value = setting.partition("=")
        if not sep or not name:
            raise ValueError(f"unsupported PostgreSQL option {setting!r}: use -c name=value")
        settings[name.replace("-", "_")] = value
        index += 1
    return settings


def _sqlite_on_connect(
    dbapi_connection: Any, _record: Any, *, foreign_keys: bool = True, read_only: bool = False
) -> None:
    # Let SQLAlchemy emit BEGIN (see _sqlite_on_begin): the driver's legacy mode skips it for DDL and SELECT.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Off only for migrations: SQLite changes a table by copying it, and dropping the old copy would delete
        # (or refuse, for) the rows pointing at it; the migration checks the keys once it is done.
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
        if read_only:  # a reader's connection: a write through it is a bug, refused loudly
            cursor.execute("PRAGMA query_only = ON")
            return
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
        if mode not in ("wal", "memory"):
            # WAL is stored in the file, so this succeeds once per database. The switch needs an exclusive lock and
            # SQLite may refuse it at once (no busy wait) while another connection is busy: then a later connection
            # switches, and this one works in the old mode meanwhile.
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                log.debug("SQLite journal_mode=WAL deferred: %s", exc)
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


async def ping(engine: AsyncEngine, max_seconds: float = 5.0) -> bool:
    """True when the database answers `SELECT 1` within `max_seconds` (for /healthz); never raises."""
    try:
        async with asyncio.timeout(max_seconds), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # a health check reports failure, whatever its cause
        log.warning("database ping failed: %s: %s", type(exc).__name__, exc)
        return False
    return True
