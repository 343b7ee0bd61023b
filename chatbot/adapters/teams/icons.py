"""The two icons a Teams app package needs, drawn in code (no binary files in the repository).

color.png: 192x192, full colour. outline.png: 32x32, white on a transparent background (Teams rejects any other
colour there). The glyph is a check mark, anti-aliased by 4x4 supersampling.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from itertools import pairwise

ACCENT = (0x4F, 0x52, 0xB2)
WHITE = (0xFF, 0xFF, 0xFF)
_CHECK = ((0.26, 0.52), (0.43, 0.69), (0.75, 0.33))  # the glyph's polyline, in units of the icon's side
_SAMPLES = 4


@lru_cache(maxsize=1)  # pure, and ~1 s of pixel loops
def color_png() -> bytes:
    size = 192
    coverage = _glyph(size, thickness=0.09)
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            a = coverage[y][x]
            row += bytes(round(w * a + c * (1 - a)) for w, c in zip(WHITE, ACCENT, strict=True)) + b"\xff"
        rows.append(bytes(row))
    return _png(size, rows)


@lru_cache(maxsize=1)
def outline_png() -> bytes:
    size = 32
    coverage = _glyph(size, thickness=0.11)
    rows = [b"".join(bytes(WHITE) + bytes([round(255 * a)]) for a in line) for line in coverage]
    return _png(size, rows)


def _glyph(size: int, thickness: float) -> list[list[float]]:
    segments = list(pairwise(_CHECK))
    half = thickness / 2
    grid: list[list[float]] = []
    for y in range(size):
        line = []
        for x in range(size):
            hits = 0
            for sy in range(_SAMPLES):
                for sx in range(_SAMPLES):
                    px = (x + (sx + 0.5) / _SAMPLES) / size
                    py = (y + (sy + 0.5) / _SAMPLES) / size
                    if any(_distance(px, py, a, b) <= half for a, b in segments):
                        hits += 1
            line.append(hits / _SAMPLES**2)
        grid.append(line)
    return grid


def _distance(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return float(((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5)


def _png(size: int, rows: list[bytes]) -> bytes:
    """RGBA, 8 bits per channel, filter 0 on every row: the smallest valid PNG writer."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
