"""`chatbot teams-package`: the zip Teams admin center / Developer Portal accepts."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from chatbot.adapters.teams.package import PackageError, manifest
from chatbot.cli import main

APP_ID = "6f1c2f4e-0d55-4a0e-9a3e-2c1f8e7b5a10"


def _png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Decode our RGBA PNGs (filter 0 rows): width, height, pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert (depth, color) == (8, 6)  # 8-bit RGBA
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        pixels += [tuple(row[1 + x * 4 : 5 + x * 4]) for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


def test_cli_writes_a_zip_with_manifest_and_both_icons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "app.zip"
    code = main(["teams-package", "--app-id", APP_ID, "--host", "https://bot.example.org/", "--out", str(out)])
    assert code == 0 and "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]  # top level, no folder
        data = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    assert data["id"] == APP_ID and data["manifestVersion"] == "1.19"
    assert data["$schema"].endswith("/v1.19/MicrosoftTeams.schema.json")
    [bot] = data["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal", "team", "groupChat"]
    [commands] = bot["commandLists"]
    assert [c["title"] for c in commands["commands"]] == ["triage", "oncall", "digest", "case", "help"]
    assert all(len(c["description"]) <= 128 for c in commands["commands"])
    assert data["validDomains"] == ["bot.example.org"]
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(data["name"]["short"]) <= 30 and len(data["description"]["short"]) <= 80
    assert all(url.startswith("https://bot.example.org") for url in data["developer"].values() if "://" in url)

    width, height, pixels = _png(color)
    assert (width, height) == (192, 192) and all(p[3] == 255 for p in pixels)
    assert len(set(pixels)) > 2  # a glyph on a background, not a blank square
    width, height, pixels = _png(outline)
    assert (width, height) == (32, 32)
    assert all(p[:3] == (255, 255, 255) for p in pixels)  # white only: Teams refuses any other colour here
    alphas = {p[3] for p in pixels}
    assert 0 in alphas and 255 in alphas  # transparent background, opaque glyph


@pytest.mark.parametrize(
    ("app_id", "host", "name"),
    [
        ("not-a-guid", "https://bot.example.org", "Support"),
        (APP_ID, "http://bot.example.org", "Support"),
        (APP_ID, "bot.example.org", "Support"),
        (APP_ID, "https://bot.example.org", "x" * 31),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(app_id: str, host: str, name: str) -> None:
    with pytest.raises(PackageError):
        manifest(app_id, host, name)


def test_cli_reports_bad_arguments_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "app.zip"
    assert main(["teams-package", "--app-id", "nope", "--host", "https://x.example", "--out", str(out)]) == 2
    assert "GUID" in capsys.readouterr().err and not out.exists()
