"""What a batch scores: rows from a manifest CSV or from a folder convention.

Manifest CSV columns: `video, profile, test, view, date` (video paths relative to the
manifest's folder; view may be empty = the test's view or the one we see; date
YYYY-MM-DD = the day the attempt counts for, empty = today).
Folder convention: `SOURCE/<profile>/<test-slug>/*.mp4` (any supported video), view from a
`_front` / `_side` suffix of the file name, else detected; the day is the file's
modification date.
Every problem in a manifest is listed with its line number before any work starts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flowlogic import clock
from flowlogic.capture.probe import VIDEO_EXTENSIONS
from flowlogic.catalog import find_test
from flowlogic.errors import FlowLogicError, UsageError
from flowlogic.profiles import validate_name

MANIFEST_COLUMNS = ("video", "profile", "test", "view", "date")


@dataclass(frozen=True)
class BatchRow:
    position: int  # order of the row in the batch (0-based)
    line: int | None  # manifest line number (None for folders)
    video: Path
    profile: str
    test_id: int
    view: str | None
    day: date

    def to_dict(self) -> dict:
        return {
            "position": self.position,
            "line": self.line,
            "video": str(self.video),
            "profile": self.profile,
            "test": self.test_id,
            "view": self.view,
            "date": self.day.isoformat(),
        }


def read_source(source: Path) -> tuple[str, list[BatchRow]]:
    """("manifest" | "folder", rows) for a CSV file or a folder."""
    source = Path(source)
    if not source.exists():
        raise UsageError(f"Batch source not found: {source}")
    if source.is_dir():
        return "folder", read_folder(source)
    return "manifest", read_manifest(source)


def _parse_view(value: str, spec) -> str | None:
    value = value.strip().lower()
    if not value:
        return None
    if value not in ("front", "side"):
        raise ValueError(f"view must be front or side, not {value!r}")
    if value not in spec.views:
        raise ValueError(f"{spec.slug} is recorded from the {spec.view_label}, not {value}")
    return value


def read_manifest(path: Path) -> list[BatchRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"Cannot read {path.name} as a UTF-8 CSV manifest: {error}") from None
    try:
        reader = csv.DictReader(text.splitlines())
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        records = list(reader)
    except csv.Error as error:  # e.g. a field longer than the csv module allows
        raise UsageError(f"{path.name} is not a readable CSV manifest: {error}") from None
    missing = [c for c in MANIFEST_COLUMNS if c not in columns]
    if missing:
        raise UsageError(
            f"{path.name}: missing column(s) {', '.join(missing)} "
            f"(a manifest needs: {', '.join(MANIFEST_COLUMNS)})"
        )
    rows: list[BatchRow] = []
    problems: list[str] = []
    today = clock.today()
    for line, raw in enumerate(records, start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(record.values()):
            continue
        try:
            if not record["video"]:
                raise ValueError("video is empty")
            spec = find_test(record["test"])
            profile = validate_name(record["profile"])
            view = _parse_view(record["view"], spec)
            day = date.fromisoformat(record["date"]) if record["date"] else today
            if day > today:
                raise ValueError(f"date {day.isoformat()} is in the future")
            video = Path(record["video"])
            rows.append(
                BatchRow(
                    len(rows),
                    line,
                    video if video.is_absolute() else path.parent / video,
                    profile,
                    spec.id,
                    view,
                    day,
                )
            )
        except (ValueError, FlowLogicError) as error:
            problems.append(f"line {line}: {getattr(error, 'message', str(error))}")
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise UsageError(
            f"{path.name} has {len(problems)} error(s); nothing was scored:\n  {shown}{more}"
        )
    if not rows:
        raise UsageError(f"{path.name} has no rows")
    return rows


def read_folder(folder: Path) -> list[BatchRow]:
    rows: list[BatchRow] = []
    problems: list[str] = []
    for profile_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for test_dir in sorted(p for p in profile_dir.iterdir() if p.is_dir()):
            try:
                profile = validate_name(profile_dir.name)
                spec = find_test(test_dir.name)
            except FlowLogicError as error:
                problems.append(f"{profile_dir.name}/{test_dir.name}: {error.message}")
                continue
            for video in sorted(test_dir.iterdir()):
                if not video.is_file() or video.suffix.lower() not in VIDEO_EXTENSIONS:
                    continue
                stem = video.stem.lower()
                view = (
                    "front"
                    if stem.endswith("_front")
                    else "side"
                    if stem.endswith("_side")
                    else None
                )
                if view and view not in spec.views:
                    problems.append(
                        f"{video.relative_to(folder)}: {spec.slug} cannot be "
                        f"recorded from the {view}"
                    )
                    continue
                modified = datetime.fromtimestamp(video.stat().st_mtime, clock.local_zone())
                rows.append(
                    BatchRow(
                        len(rows),
                        None,
                        video,
                        profile,
                        spec.id,
                        view,
                        min(modified.date(), clock.today()),
                    )
                )
    if problems:
        raise UsageError(
            "The batch folder has errors; nothing was scored:\n  " + "\n  ".join(problems)
        )
    if not rows:
        raise UsageError(f"{folder} holds no videos laid out as <profile>/<test-slug>/*.mp4")
    return rows
