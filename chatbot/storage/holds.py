"""Channel holds (tables.ChannelHoldRow): set, looked at and released by any process, each one statement."""

from __future__ import annotations

from datetime import datetime

from chatbot.storage.programs import Op, Program, Reader, Writer, statement

# A hold already there is kept if it lasts longer (two sessions started at once in one channel).
_HOLD = statement(
    "INSERT INTO channel_holds (channel, until) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET until ="
    " CASE WHEN excluded.until > channel_holds.until THEN excluded.until ELSE channel_holds.until END"
)
_HELD = statement("SELECT 1 FROM channel_holds WHERE channel = ? AND until > ?", returns_row=True)
# Only the hold this poster set (or an older one): a longer one someone set meanwhile stays.
_RELEASE = statement("DELETE FROM channel_holds WHERE channel = ? AND until <= ?")


def _hold(channel: str, until: datetime) -> Program[None]:
    yield Op(_HOLD, (channel, until), last=True)


def _held(channel: str, now: datetime) -> Program[bool]:
    return (yield Op(_HELD, (channel, now))) is not None


def _release(channel: str, until: datetime) -> Program[None]:
    yield Op(_RELEASE, (channel, until), last=True)


class HoldRepo:
    def __init__(self, write: Writer, read: Reader) -> None:
        self._write = write
        self._read = read

    async def hold(self, channel: str, until: datetime) -> None:
        await self._write(lambda: _hold(channel, until))

    async def held(self, channel: str, now: datetime) -> bool:
        """Is the channel held at `now`? (A hold whose time is up holds nothing, whether released or not.)"""
        found: bool = await self._read(lambda: _held(channel, now))
        return found

    async def release(self, channel: str, until: datetime) -> None:
        await self._write(lambda: _release(channel, until))
