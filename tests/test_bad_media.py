"""The broken-media corpus (tests/corpus.py) through every entry point that takes a video:
`flowlogic score`, `flowlogic batch` (manifest rows), `flowlogic eval` (label rows) and
`flowlogic record --camera FILE` (a file replayed as a camera).

Each file gives one clear line and the documented exit code: 5 when it is refused before
analysis, 3 when it can be analysed but fails the quality gates (the corpus frames hold
no person). Nothing is half-written: a refused file stores no attempt and caches no
landmarks; an analysed one stores exactly one invalid attempt and one complete cache
file. No run shows a traceback.
"""

from __future__ import annotations

import csv
import json
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic.capture.probe import probe, sha256_of
from flowlogic.cli.app import app
from flowlogic.errors import InputRefused
from flowlogic.pose.track import PoseTrack
from flowlogic.store import open_db
from tests import corpus

runner = CliRunner()
NAMES = [name for name, *_ in corpus.ITEMS]
REFUSED = [name for name, _, _, code in corpus.ITEMS if code]


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, corpus.BrokenMedia]:
    return {item.name: item for item in corpus.build(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """An empty landmark cache of the test's own, so what was written can be inspected."""
    folder = tmp_path / "landmarks"
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(folder))
    return folder


def cached_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def error_of(result) -> dict:
    return json.loads(result.stdout)["error"]


def stored_attempts() -> list[dict]:
    return list(open_db().query("SELECT status, reasons_json FROM assessments"))


# --- score -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_score_gives_one_clear_line_and_the_documented_exit_code(name, media, cache_dir):
    item = media[name]
    result = runner.invoke(
        app, ["score", str(item.path), "--test", "4", "--accept-disclaimer", "--json"]
    )
    assert_no_traceback(result)
    assert result.exit_code == item.exit_code, result.output
    cached = cached_files(cache_dir)
    assert not [p for p in cached if p.suffix == ".tmp"], "no half-written cache file"
    if item.refused:
        error = error_of(result)
        assert error["code"] == item.refused
        assert "\n" not in error["message"] and Path(item.path).name in error["message"]
        assert stored_attempts() == []  # refused before analysis: not an attempt
        assert cached == []
        human = runner.invoke(app, ["score", str(item.path), "--test", "4"])
        assert human.exit_code == 5
        lines = [line for line in human.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:"), human.stderr
    else:
        payload = json.loads(result.stdout)
        assert payload["status"] == "invalid"
        assert payload["quality"]["checks"][0]["code"] == "INVALID_NO_PERSON"
        assert [row["status"] for row in stored_attempts()] == ["invalid"]
        sha = sha256_of(item.path)
        assert [p.name.split("-")[0] for p in cached] == [sha]
        assert PoseTrack.load(cached[0]).frames == payload["video"]["frames_analysed"]


def test_refusals_that_need_no_decoding_are_made_from_the_header(media, monkeypatch):
    """Huge frames, absurd frame rates and two-hour files are refused from the metadata:
    not one frame is decoded (a decoded 10000x10000 frame alone is 300 MB)."""
    import cv2

    real = cv2.VideoCapture

    class NoDecoding:
        def __init__(self, *args):
            self._capture = real(*args)

        def read(self):
            raise AssertionError("a frame was decoded")

        def __getattr__(self, name):
            return getattr(self._capture, name)

    monkeypatch.setattr(cv2, "VideoCapture", NoDecoding)
    for name in ("huge_frames", "one_pixel"):
        with pytest.raises(InputRefused) as refused:
            probe(media[name].path)
        assert refused.value.code == media[name].refused


def test_a_zero_frame_rate_reported_by_the_reader_is_refused(media, monkeypatch):
    """The reader repairs a 0 in the AVI header (25 fps); a reader that still reports 0
    (or a negative rate) is refused before analysis."""
    import cv2

    real = cv2.VideoCapture

    class ZeroFps:
        def __init__(self, *args):
            self._capture = real(*args)

        def get(self, prop):
            return 0.0 if prop == cv2.CAP_PROP_FPS else self._capture.get(prop)

        def __getattr__(self, name):
            return getattr(self._capture, name)

    monkeypatch.setattr(cv2, "VideoCapture", ZeroFps)
    with pytest.raises(InputRefused) as refused:
        probe(media["zero_fps"].path)
    assert refused.value.code == "BAD_FRAME_RATE" and "0 fps" in refused.value.message


# --- batch -------------------------------------------------------------------------------


def test_batch_records_every_broken_file_as_a_row_and_carries_on(media, cache_dir, tmp_path):
    """One manifest with the whole corpus (one profile per file, so the daily cap of 3
    attempts per test does not interfere): refused files end `unreadable` with their
    code, analysable ones `invalid`; the batch itself exits 0."""
    manifest = tmp_path / "manifest.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["video", "profile", "test", "view", "date"])
        for name in NAMES:
            writer.writerow([media[name].path, name, "overhead-squat", "", ""])
    out = tmp_path / "rows.json"
    command = ["batch", str(manifest), "--workers", "1", "--quiet", "--json", str(out)]
    result = runner.invoke(app, [*command, "--accept-disclaimer"])
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    rows = {row["profile"]: row for row in json.loads(out.read_text())["rows"]}
    for name in NAMES:
        item, row = media[name], rows[name]
        if item.refused:
            assert row["status"] == "unreadable", (name, row)
            assert row["reason"].startswith(f"{item.refused}: ")
            assert "\n" not in row["reason"]
        else:
            assert row["status"] == "invalid", name
            assert row["reason"].split(", ")[0] == "INVALID_NO_PERSON", name
    analysable = [name for name in NAMES if not media[name].refused]
    assert len(stored_attempts()) == len(analysable)
    assert not [p for p in cached_files(cache_dir) if p.suffix != ".npz"]


# --- eval --------------------------------------------------------------------------------


def test_eval_reports_each_broken_file_in_its_row(media, tmp_path, accepted_db):
    labels = tmp_path / "labels.csv"
    with open(labels, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["video", "test", "view", "expected_bucket"])
        for name in NAMES:
            writer.writerow([media[name].path, "overhead-squat", "", "good"])
    result = runner.invoke(app, ["eval", str(labels), "--json"])
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert len(rows) == len(NAMES)
    for name, row in zip(NAMES, rows, strict=True):
        item = media[name]
        assert row["video"] == str(item.path)
        if item.refused:
            assert row["status"] == "error" and Path(item.path).name in row["reason"]
        else:
            assert row["status"] == "invalid"
            assert row["reason"].split(", ")[0] == "INVALID_NO_PERSON"
    assert stored_attempts() == []  # eval never stores


# --- record --------------------------------------------------------------------------------

#: A file replayed as a camera is not probed like a scored file: a camera has no frame
#: count or length. It is recorded until it ends or the test's time limit is reached, so
#: these give a recording that fails the gates (exit 3) where `score` refuses them.
RECORDED_LIKE_A_CAMERA = {
    "cut_0300": "the camera stops after 13 frames",
    "image_named_mp4": "the camera sends one picture",
    "two_hours": "recording stops at the 45 s limit",
}


@pytest.fixture
def fast_replay(monkeypatch):
    """No countdown, and the replayed file is read as fast as it decodes (its frames keep
    their own timestamps, so the time limit still applies to the recorded clip)."""
    from flowlogic import recording
    from flowlogic.capture import sources

    words = dict(recording.settings())
    words["countdown_s"] = {**words["countdown_s"], "value": 0}
    monkeypatch.setattr(recording, "settings", lambda: words)
    clock = types.SimpleNamespace(monotonic=sources.time.monotonic, sleep=lambda _s: None)
    monkeypatch.setattr(sources, "time", clock)


@pytest.mark.parametrize("name", NAMES)
def test_record_with_a_broken_file_as_the_camera(name, media, fast_replay):
    from flowlogic.recording import videos_dir

    item = media[name]
    result = runner.invoke(
        app,
        ["record", "overhead-squat", "--camera", str(item.path), "--accept-disclaimer", "--json"],
    )
    assert_no_traceback(result)
    videos = sorted(p.name for p in videos_dir().iterdir())
    if item.refused and name not in RECORDED_LIKE_A_CAMERA:
        assert result.exit_code == 5, result.output
        error = error_of(result)
        assert "\n" not in error["message"] and Path(item.path).name in error["message"]
        assert error["code"] in (item.refused, "UNREADABLE")  # opened, not probed
        assert stored_attempts() == [] and videos == []  # not even a partial video
    else:
        assert result.exit_code == 3, result.output
        payload = json.loads(result.stdout)
        assert payload["quality"]["checks"][0]["code"] == "INVALID_NO_PERSON"
        assert [row["status"] for row in stored_attempts()] == ["invalid"]
        assert videos == [Path(payload["video"]["path"]).name]  # the committed file only
        if name == "two_hours":
            assert payload["video"]["duration_s"] <= 45
