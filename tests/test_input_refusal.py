"""Input that cannot be analysed is refused before analysis: one clear line, exit code 5,
no traceback, nothing stored."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from flowlogic.capture.probe import Limits, probe
from flowlogic.cli.app import app
from flowlogic.errors import InputRefused
from flowlogic.store import open_db
from tests.conftest import SAMPLE, TEST_DATA
from tests.media import ffmpeg, solid_frames, write_video

runner = CliRunner()


def _score(path, *extra):
    return runner.invoke(
        app, ["score", str(path), "--test", "overhead-squat", "--accept-disclaimer", *extra]
    )


def _make(kind: str, tmp_path):
    target = tmp_path / f"{kind}.mp4"
    if kind == "missing":
        return tmp_path / "nope.mp4", "NOT_FOUND"
    if kind == "empty":
        target.write_bytes(b"")
        return target, "EMPTY_FILE"
    if kind == "random_bytes":
        target.write_bytes(os.urandom(200_000))
        return target, "UNREADABLE"
    if kind == "image_named_mp4":
        target.write_bytes((TEST_DATA / "pose.jpg").read_bytes())
        return target, "UNREADABLE"
    if kind == "text_file":
        text = tmp_path / "notes.txt"
        text.write_text("hello")
        return text, "UNSUPPORTED_FORMAT"
    if kind == "truncated":
        data = SAMPLE.read_bytes()
        target.write_bytes(data[: len(data) // 3])
        return target, None  # UNREADABLE or TRUNCATED depending on where the index sits
    if kind == "too_large":
        with open(target, "wb") as handle:
            handle.truncate(51 * 1024 * 1024)  # sparse: costs no disk
        return target, "TOO_LARGE"
    if kind == "too_long":
        write_video(target, solid_frames(47, size=(64, 48)), fps=1.0)
        return target, "TOO_LONG"
    if kind == "audio_only":
        audio = tmp_path / "audio.mp4"
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio))
        return audio, "UNREADABLE"
    raise AssertionError(kind)


CASES = [
    "missing",
    "empty",
    "random_bytes",
    "image_named_mp4",
    "text_file",
    "truncated",
    "too_large",
    "too_long",
    "audio_only",
]


@pytest.mark.parametrize("kind", CASES)
def test_bad_input_is_refused_with_exit_5_and_one_line(kind, tmp_path):
    path, code = _make(kind, tmp_path)
    result = _score(path, "--json")
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output
    payload = result.stdout.strip()
    import json

    error = json.loads(payload)["error"]
    if code:
        assert error["code"] == code
    else:
        assert error["code"] in ("UNREADABLE", "TRUNCATED")
    assert "\n" not in error["message"]
    db = open_db()
    assert db["assessments"].count == 0  # refused before analysis: not an attempt


@pytest.mark.parametrize("kind", ["empty", "too_long"])
def test_human_output_is_one_line_on_stderr(kind, tmp_path):
    path, _ = _make(kind, tmp_path)
    result = _score(path)
    assert result.exit_code == 5
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:")


def test_hold_tests_have_their_own_duration_limit(tmp_path):
    path = write_video(tmp_path / "long.mp4", solid_frames(60, size=(64, 48)), fps=1.0)
    with pytest.raises(InputRefused) as refused:
        probe(path, Limits(max_duration_s=45))
    assert refused.value.code == "TOO_LONG"
    assert probe(path, Limits(max_duration_s=90)).duration_s == pytest.approx(60, abs=1)
