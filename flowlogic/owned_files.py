"""Which files under FLOWLOGIC_HOME belong to one profile (for `flowlogic delete`).

The database, the logs, the landmark cache, recorded videos and backup databases (any
SQLite file) are handled by `flowlogic.lifecycle` itself. Everything else under the home
folder (reports, exports, batch outputs a user wrote there) belongs to the profile when:

1. **Name**: a file or folder is named like a Flow Logic output of that profile
   (`flowlogic-{name}-{date}…` exports, `full-report-{name}-{date}…`), where `{name}` is
   the profile's file-name part and no other profile has the same file-name part
   (`safe_name` folds "Zoë" and "Zoe" together).
2. **Video hash**: its name or content holds the SHA-256 of one of the profile's videos
   that no other profile uses; a video file whose own hash is one of them.
3. **Content**: an HTML or PDF report shows the name in its "Profile" field; a JSON or
   CSV file has the
   profile's name as a profile / name value, or holds its e-mail.

A matched file inside an export folder (`…-csv/`, `…-videos/`) takes its whole folder;
folders left empty (a batch's per-client report folder) are removed too.
Content rules look for the name in the places Flow Logic writes it, never anywhere in
free text, so a profile named "default" does not take other people's reports.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from flowlogic.outfiles import safe_name

TEXT_LIMIT_BYTES = 20 * 1024 * 1024
VIDEO_HASH_LIMIT_BYTES = 512 * 1024 * 1024
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif", ".m4v"}
PROFILE_KEYS = {"profile", "name", "profile_name"}
_DATE = r"\d{4}-\d{2}-\d{2}"
_EXPORT_FOLDER = re.compile(rf"^flowlogic-.+-{_DATE}-(csv|videos)$")


@dataclass(frozen=True)
class ProfileTraces:
    """What identifies one profile in files."""

    profile_id: int
    name: str
    email: str | None
    #: hashes of the profile's videos that no other profile uses
    video_hashes: frozenset[str] = frozenset()
    #: whether another profile has the same file-name part
    file_part_shared: bool = False

    @property
    def file_part(self) -> str:
        return safe_name(self.name, fallback=f"profile-{self.profile_id}")

    def name_patterns(self) -> list[re.Pattern[str]]:
        part = re.escape(self.file_part)
        return [
            re.compile(rf"^flowlogic-{part}-{_DATE}(?:[-.].*)?$"),
            re.compile(rf"^full-report-{part}-{_DATE}(?:[-.].*)?$"),
        ]


@dataclass
class Scan:
    matched: list[Path] = field(default_factory=list)  # files and folders, top-most only
    reasons: dict[str, str] = field(default_factory=dict)  # relative path -> rule


def _walk(home: Path, skip: set[Path]) -> Iterator[Path]:
    """Every file and folder under `home` except the skipped ones (no symlinks followed)."""
    stack = [home]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry in skip or entry.is_symlink():
                continue
            yield entry
            if entry.is_dir():
                stack.append(entry)


def _name_rule(relative: Path, traces: ProfileTraces) -> Path | None:
    """The top-most part of `relative` named after the profile (or holding a hash)."""
    patterns = [] if traces.file_part_shared else traces.name_patterns()
    for depth, part in enumerate(relative.parts, 1):
        lowered = part.lower()
        hashed = any(h in lowered for h in traces.video_hashes)
        if hashed or any(p.match(lowered) for p in patterns):
            return Path(*relative.parts[:depth])
    return None


# --- content ----------------------------------------------------------------------------


def _json_mentions(value: Any, traces: ProfileTraces, key: str | None = None) -> bool:
    if isinstance(value, dict):
        return any(_json_mentions(v, traces, str(k).lower()) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_mentions(v, traces, key) for v in value)
    if isinstance(value, str):
        folded = value.casefold()
        if key in PROFILE_KEYS and folded.strip() == traces.name.casefold():
            return True
        if traces.email and traces.email.casefold() in folded:
            return True
        return any(h in folded for h in traces.video_hashes)
    return False


def _csv_mentions(text: str, traces: ProfileTraces) -> bool:
    rows = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(rows, [])]
    name = traces.name.casefold()
    for row in rows:
        for column, cell in zip(header, row, strict=False):
            value = cell.lstrip("'").strip().casefold()
            if column in PROFILE_KEYS and value == name:
                return True
    return _plain_mentions(text, traces)


def _plain_mentions(text: str, traces: ProfileTraces) -> bool:
    folded = text.casefold()
    if traces.email and traces.email.casefold() in folded:
        return True
    return any(h in folded for h in traces.video_hashes)


def _html_mentions(text: str, traces: ProfileTraces) -> bool:
    shown = re.escape(html.escape(traces.name).casefold())
    if re.search(rf"<dt>profile</dt>\s*<dd>\s*{shown}\s*</dd>", text.casefold()):
        return True
    return _plain_mentions(html.unescape(text), traces)


_PDF_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.S)
_PDF_SHOW = re.compile(rb"<([0-9A-Fa-f]*)>\s*Tj|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def _pdf_cmaps(streams: list[bytes]) -> list[dict[int, str]]:
    maps = []
    for data in streams:
        if b"begincmap" not in data:
            continue
        table: dict[int, str] = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
            for low, high, start in re.findall(pattern, block):
                for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    table[code] = chr(int(start, 16) + offset)
        maps.append(table)
    return maps


_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_literal(raw: bytes) -> bytes:
    def unescape(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8) & 0xFF])
        return _PDF_ESCAPES.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, raw, flags=re.S)


def pdf_pieces(data: bytes) -> list[set[str]]:
    """The text pieces a Flow Logic PDF shows, in drawing order, each as its readings: once
    per embedded font map and once as plain bytes (a reader for fpdf2 output, not a
    general PDF parser)."""
    streams = []
    for head, body in _PDF_STREAM.findall(data):
        if b"/FlateDecode" in head:
            try:
                body = zlib.decompress(body)
            except zlib.error:
                continue
        streams.append(body)
    maps = _pdf_cmaps(streams)
    shown: list[bytes] = []
    for body in streams:
        if b"Tj" in body:
            for match in _PDF_SHOW.finditer(body):
                hexed, literal = match.group(1), match.group(2)
                if hexed is not None:
                    shown.append(bytes.fromhex(hexed.decode()))
                else:
                    shown.append(_pdf_literal(literal))
    pieces = []
    for raw in shown:
        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
        readings = {raw.decode("latin-1")}
        readings |= {"".join(table.get(code, "\ufffd") for code in codes) for table in maps}
        pieces.append({" ".join(r.split()).casefold() for r in readings})
    return pieces


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(sorted(readings)) for readings in pdf_pieces(data))


def _pdf_mentions(data: bytes, traces: ProfileTraces) -> bool:
    """The profile's name right after the "Profile" label (the report's header), or the
    e-mail or a video hash anywhere."""
    name = " ".join(traces.name.split()).casefold()
    pieces = pdf_pieces(data)
    for before, piece in pairwise(pieces):
        if name in piece and "profile" in before:
            return True
    return _plain_mentions(" ".join(" ".join(r) for r in pieces), traces)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_mentions(path: Path, traces: ProfileTraces) -> bool:
    """Whether the file's content belongs to the profile (rules 2 and 3)."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if suffix in VIDEO_SUFFIXES:
            return size <= VIDEO_HASH_LIMIT_BYTES and _sha256(path) in traces.video_hashes
        if size > TEXT_LIMIT_BYTES:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    if suffix == ".pdf":
        return _pdf_mentions(data, traces)
    text = data.decode("utf-8", "replace")
    if suffix in (".html", ".htm"):
        return _html_mentions(text, traces)
    if suffix == ".json":
        try:
            return _json_mentions(json.loads(text), traces)
        except ValueError:
            return _plain_mentions(text, traces)
    if suffix == ".csv":
        return _csv_mentions(text, traces)
    return _plain_mentions(text, traces)


def _is_database(path: Path) -> bool:
    """SQLite files (backups) are cleaned row by row by `flowlogic.lifecycle`, not deleted."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _export_folder_of(relative: Path) -> Path | None:
    for depth, part in enumerate(relative.parts[:-1], 1):
        if _EXPORT_FOLDER.match(part.lower()):
            return Path(*relative.parts[:depth])
    return None


def scan(home: Path, traces: ProfileTraces, skip: Iterable[Path]) -> Scan:
    """The profile's files and folders under `home` (see the module notes)."""
    found = Scan()
    taken: set[Path] = set()

    def take(relative: Path, rule: str) -> None:
        if any(relative == t or t in relative.parents for t in taken):
            return
        taken.add(relative)
        found.matched.append(home / relative)
        found.reasons[str(relative)] = rule

    for entry in _walk(home, {Path(p) for p in skip}):
        relative = entry.relative_to(home)
        if any(t in relative.parents for t in taken):
            continue
        by_name = _name_rule(relative, traces)
        if by_name is not None:
            take(by_name, "name")
        elif entry.is_file() and not _is_database(entry) and content_mentions(entry, traces):
            take(_export_folder_of(relative) or relative, "content")
    return found


__all__ = ["ProfileTraces", "Scan", "content_mentions", "pdf_pieces", "pdf_text", "scan"]
