"""Read the text of the PDFs our reports write (fpdf2 output: Flate streams, embedded
TrueType subsets with a ToUnicode map, or core fonts), page by page, for assertions.
A reader for our own files only, not a general PDF parser."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*)\r?\nendstream", re.S)
_SHOW = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\(((?:\\.|[^\\)])*)\)\s*Tj")


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    found = {}
    for match in _OBJECT.finditer(data):
        body, stream = match.group(2), None
        inner = _STREAM.search(body)
        if inner:
            stream = inner.group(1)
            head = body[: inner.start()]
            if b"/FlateDecode" in head:
                stream = zlib.decompress(stream)
            body = head
        found[int(match.group(1))] = (body, stream)
    return found


def _ref(body: bytes, key: bytes) -> int | None:
    match = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
    return int(match.group(1)) if match else None


def _to_unicode(cmap: bytes) -> dict[int, str]:
    table = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
        for low, high, start in re.findall(pattern, block):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code] = chr(int(start, 16) + offset)
    return table


def _fonts(objects, page_body: bytes) -> dict[str, dict[int, str] | None]:
    resources = objects[_ref(page_body, b"Resources")][0]
    font_ref = _ref(resources, b"Font")
    font_dict = objects[font_ref][0] if font_ref else resources
    fonts = {}
    for name, number in re.findall(rb"/(F\d+)\s+(\d+) 0 R", font_dict):
        body = objects[int(number)][0]
        cmap_ref = _ref(body, b"ToUnicode")
        fonts[name.decode()] = _to_unicode(objects[cmap_ref][1]) if cmap_ref else None
    return fonts


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(raw: bytes) -> bytes:
    def unescape(match: re.Match) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return _ESCAPES.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, raw, flags=re.S)


def _decode(raw: bytes, cmap: dict[int, str] | None) -> str:
    if cmap is None:
        return raw.decode("latin-1")
    codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return "".join(cmap.get(code, "?") for code in codes)


def pages_text(path: Path) -> list[str]:
    """The text shown on each page, pieces joined by spaces, in drawing order."""
    objects = _objects(Path(path).read_bytes())
    pages = [n for n, (body, _) in objects.items() if re.search(rb"/Type /Page\b", body)]
    out = []
    for number in sorted(pages):
        body = objects[number][0]
        fonts = _fonts(objects, body)
        content = objects[_ref(body, b"Contents")][1] or b""
        pieces, cmap = [], None
        for match in _SHOW.finditer(content):
            if match.group(1):
                cmap = fonts.get(match.group(1).decode())
            elif match.group(2) is not None:
                pieces.append(_decode(bytes.fromhex(match.group(2).decode()), cmap))
            else:
                pieces.append(_decode(_literal(match.group(3)), cmap))
        out.append(" ".join(pieces))
    return out
