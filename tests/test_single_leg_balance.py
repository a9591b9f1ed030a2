"""Test 7 — Single-Leg Balance scorer, on real footage and on clips assembled from real
landmarks. Sides are the standing leg (lifting the left foot tests the right leg).

Real clips it was checked on (default analysis, ../shared/footage):

- balance/howcast_tree_pose_front.mp4 (101 s): refused TOO_LONG before analysis (90 s
  limit). Slice 26.9-39.0 s, a sustained tree pose on the right leg (left foot up the
  whole time, cut by close-ups on both ends): every gate passes (NOT_STILL 9.7 s still,
  view front); limited, score 63, right hold 11.9 s (may be longer: cut by the clip),
  sway 0.03 leg lengths/s, no flags, left leg not recorded, confidence 0.61. The same
  stretch cut to a 11.7 s file scores valid end to end: limited, right 11.7 s.
- balance/darebee_side_leg_raise_front.mp4 (alternating side leg raises, ~1 s on each
  leg): fails NOT_STILL (longest still 0.42 s < 1 s: nobody holds still, which is
  right for a hold test). Scored directly: significant, score 0, 3 holds per leg of
  1.0-1.1 s, 2 touch-downs per leg, excessive sway (0.19-0.24 leg lengths/s), no hip
  drop (the lifted hip hikes up ~30°). Mirrored clip: sides swap; half resolution: same
  bucket, holds within a frame or two.
- lunge/darebee_lunge_knee_drive_side.mp4 and balance/leg_swings_side_gym.mp4 (side
  views): WRONG_VIEW.

Assembled from real landmarks (constructed, said so in each test): the real right-leg
tree-pose hold followed by its mirror image trimmed to 4 s gives a known left/right
difference; lowering the lifted hip landmark gives a known hip drop.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from flowlogic.assess import score_video
from flowlogic.catalog import find_test
from flowlogic.errors import InputRefused
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring.single_leg_balance import score
from tests.media import ffmpeg

SPEC = find_test("single-leg-balance")
TREE = "balance/howcast_tree_pose_front.mp4"
LEG_RAISES = "balance/darebee_side_leg_raise_front.mp4"
# Frame-by-frame inspection of the tree-pose clip: standing on both feet 12.0-18.3 s;
# left foot up on the right calf/thigh from 27.0 s until the close-up at 39.0 s.
STANDING = (12.0, 18.3)
TREE_HOLD = (26.9, 39.0)
HOLD_VISIBLE_S = 38.9 - 27.0


def _swap(side: str | None) -> str | None:
    return {"left": "right", "right": "left"}.get(side, side)


def _swapped(result: dict) -> dict:
    """A result dict with every side-specific output swapped left <-> right."""
    metrics = {}
    for key, value in result["metrics"].items():
        side = value["side"]
        new_key = key
        if side:
            new_key = key[: -len(side)] + _swap(side)
        metrics[new_key] = {**value, "side": _swap(side)}
    return {
        **result,
        "side": _swap(result["side"]),
        "metrics": metrics,
        "flags": sorted(
            ({**f, "side": _swap(f["side"])} for f in result["flags"]),
            key=lambda f: (f["code"], str(f["side"])),
        ),
        "segments": [{**s, "side": _swap(s["side"])} for s in result["segments"]],
        "notes": None,
    }


def _comparable(result: dict) -> dict:
    return {
        **result,
        "flags": sorted(result["flags"], key=lambda f: (f["code"], str(f["side"]))),
        "notes": None,
    }


def _assert_same(a, b, path: str = "result") -> None:
    """Equal structure and values; floats within 0.002 (flipping x in float32 moves
    landmarks by a rounding error)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            _assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        assert a == pytest.approx(b, abs=2e-3), path
    else:
        assert a == b, path


def _hold(result, side: str) -> float | None:
    return result.metric("hold_seconds", side).value


def _flag_codes(result, side: str) -> set[str]:
    return {f.code for f in result.flags if f.side == side}


def _concat(*tracks: PoseTrack) -> PoseTrack:
    """Tracks played one after another at the first one's frame rate."""
    first = tracks[0]
    frames = sum(t.frames for t in tracks)
    return replace(
        first,
        timestamps_s=np.arange(frames) / first.fps,
        image=np.concatenate([t.image for t in tracks]),
        world=np.concatenate([t.world for t in tracks]),
        brightness=np.concatenate([t.brightness for t in tracks]),
        faces=np.concatenate([t.faces for t in tracks]),
        face=None,
    )


# -- real footage ------------------------------------------------------------------------


def test_sustained_tree_pose_is_one_timed_hold_on_the_right_leg(real_track):
    track = real_track(TREE).slice_time(*TREE_HOLD)
    quality = run_quality_checks(track, SPEC, "front")
    assert quality.passed, quality.failed_codes
    assert quality.view == "front"
    assert quality.check("NOT_STILL").value >= 5.0  # the hold itself is still

    result = score(track, SPEC, "front")
    # the foot is up for the whole visible stretch, so the hold is that long
    assert _hold(result, "right") == pytest.approx(HOLD_VISIBLE_S, abs=0.4)
    assert _hold(result, "left") is None
    assert result.bucket == "limited" and result.normalized == "limited"  # 10-30 s
    assert 60 <= result.score <= 74
    assert result.side == "right"
    assert result.metric("sway", "right").value < SPEC.threshold("sway_limit") / 2
    assert not result.flags
    assert any("left leg was not" in note for note in result.notes)
    assert any("may be longer" in note for note in result.notes)
    assert result.confidence < 0.8  # one leg only, and cut by the clip


def test_side_leg_raises_are_no_hold_for_the_gate_and_short_holds_for_the_scorer(real_track):
    track = real_track(LEG_RAISES)
    quality = run_quality_checks(track, SPEC, "front")
    assert quality.failed_codes == ["NOT_STILL"]
    assert quality.check("NOT_STILL").value < SPEC.quality["min_still_s"]

    result = score(track, SPEC, "front")
    stances = [s.side for s in result.segments]
    assert len(stances) >= 6
    assert all(a != b for a, b in pairwise(stances))  # alternating
    assert stances[0] == "right"  # she lifts her left leg first
    for side in ("left", "right"):
        assert 0.8 <= _hold(result, side) <= 1.4  # each lift lasts about a second
        assert result.metric("touchdowns", side).value >= 2
        assert {"touchdown", "excessive_sway"} <= _flag_codes(result, side)
        assert "hip_drop" not in _flag_codes(result, side)
        assert result.metric("hip_drop_deg", side).value < 0  # the lifted hip hikes up
    assert result.bucket == "significant"
    assert result.score < 20


def test_mirrored_clip_swaps_every_side(real_track):
    plain = score(real_track(LEG_RAISES), SPEC, "front")
    mirrored = score(real_track(LEG_RAISES, mirror=True), SPEC, "front")
    assert [_swap(s.side) for s in plain.segments] == [s.side for s in mirrored.segments]
    for side in ("left", "right"):
        assert _hold(mirrored, _swap(side)) == pytest.approx(_hold(plain, side), abs=0.15)
        assert _flag_codes(mirrored, _swap(side)) == _flag_codes(plain, side)
    # the same landmarks flipped: everything swaps exactly
    flipped = score(real_track(LEG_RAISES).mirrored(), SPEC, "front")
    _assert_same(_comparable(flipped.to_dict()), _swapped(plain.to_dict()))


def test_half_resolution_keeps_the_bucket(real_track):
    full = score(real_track(LEG_RAISES), SPEC, "front")
    half = score(real_track(LEG_RAISES, scale=0.5), SPEC, "front")
    assert half.bucket == full.bucket
    for side in ("left", "right"):
        assert _hold(half, side) == pytest.approx(_hold(full, side), abs=0.15)


@pytest.mark.parametrize(
    "clip", ["lunge/darebee_lunge_knee_drive_side.mp4", "balance/leg_swings_side_gym.mp4"]
)
def test_side_view_clips_are_the_wrong_view(real_track, clip):
    quality = run_quality_checks(real_track(clip), SPEC, "front")
    assert "WRONG_VIEW" in quality.failed_codes
    assert quality.view == "side"
    assert quality.feedback.message == "Turn to face the camera for this test."


def test_tree_pose_clip_is_too_long(footage, accepted_db):
    with pytest.raises(InputRefused) as refused:
        score_video(footage(TREE), "single-leg-balance", db=accepted_db, save=False)
    assert refused.value.code == "TOO_LONG"


def test_end_to_end_on_a_real_hold(footage, accepted_db, tmp_path):
    """The tree-pose stretch cut to its own file (deterministic encode, so the pose
    cache is reused across runs) scores valid through the whole pipeline."""
    clip = tmp_path / "tree_hold.mp4"
    ffmpeg(
        "-ss", "27.2", "-t", "11.7", "-i", str(footage(TREE)), "-an",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-map_metadata", "-1", str(clip),
    )  # fmt: skip
    outcome = score_video(clip, "single-leg-balance", db=accepted_db)
    assert outcome.status == "valid", outcome.quality.failed_codes
    assert outcome.view == "front"
    result = outcome.result
    assert result.side == "right" and result.bucket == "limited"
    assert _hold(result, "right") == pytest.approx(11.7, abs=0.4)
    assert outcome.assessment_id is not None


# -- assembled from real landmarks (constructed) -----------------------------------------


def _mirrored_in_place(track: PoseTrack) -> PoseTrack:
    """The mirror image, shifted back to where the person stood (no jump across the
    picture when played after the original)."""
    mirrored = track.mirrored()
    hips = [L.LEFT_HIP, L.RIGHT_HIP]
    shift = np.nanmedian(track.image[:, hips, 0]) - np.nanmedian(mirrored.image[:, hips, 0])
    image = mirrored.image.copy()
    image[:, :, 0] += shift
    return replace(mirrored, image=image)


@pytest.fixture
def two_leg_clip(real_track):
    """Constructed: real standing, the real right-leg tree hold (11.9 s), real standing,
    then the same hold mirrored (so on the left leg, kept in place) trimmed to 4.0 s,
    then standing."""
    clip = real_track(TREE)
    standing = clip.slice_time(*STANDING)
    right_leg = clip.slice_time(27.0, 38.9)
    left_leg = _mirrored_in_place(clip.slice_time(27.0, 31.0))
    return _concat(standing, right_leg, standing, left_leg, standing)


def test_two_legs_give_the_known_difference(two_leg_clip):
    result = score(two_leg_clip, SPEC, "front")
    assert _hold(result, "right") == pytest.approx(11.9, abs=0.3)
    assert _hold(result, "left") == pytest.approx(4.0, abs=0.3)
    difference = result.metric("hold_asymmetry_pct").value
    assert difference == pytest.approx(100 * (11.9 - 4.0) / 11.9, abs=4)
    flag = result.flag("asymmetry")
    assert flag.side == "left" and flag.severity == "moderate"  # > 2 x 25 %
    assert result.bucket == "significant"  # the left leg held < 10 s
    assert result.side == "left"
    assert 0 <= result.score <= 59
    assert not any("not recorded" in note or "was not" in note for note in result.notes)

    mirrored = score(two_leg_clip.mirrored(), SPEC, "front")
    _assert_same(_comparable(mirrored.to_dict()), _swapped(result.to_dict()))


def test_lifted_hip_dropping_is_flagged_on_the_standing_leg(real_track):
    """Constructed: the real right-leg hold with the left (lifted-side) hip landmark
    moved down in the picture by a known amount."""
    clip = real_track(TREE)
    standing = clip.slice_time(*STANDING)
    hold = clip.slice_time(27.0, 38.9)
    plain = score(_concat(standing, hold), SPEC, "front")

    image = hold.image.copy()
    hip_width_px = np.nanmedian(
        np.abs(image[:, L.LEFT_HIP, 0] - image[:, L.RIGHT_HIP, 0]) * hold.frame_width
    )
    drop_px = np.tan(np.radians(15)) * hip_width_px
    image[:, L.LEFT_HIP, 1] += drop_px / hold.frame_height
    dropped = score(_concat(standing, replace(hold, image=image)), SPEC, "front")

    before = plain.metric("hip_drop_deg", "right").value
    after = dropped.metric("hip_drop_deg", "right").value
    assert after - before == pytest.approx(15, abs=3)
    assert "hip_drop" not in _flag_codes(plain, "right")
    assert "hip_drop" in _flag_codes(dropped, "right")
    assert _hold(dropped, "right") == pytest.approx(_hold(plain, "right"), abs=0.1)


def test_standing_on_both_feet_times_no_hold(real_track):
    result = score(real_track(TREE).slice_time(*STANDING), SPEC, "front")
    assert result.reps == 0 and not result.segments
    assert _hold(result, "left") is None and _hold(result, "right") is None
    assert result.bucket == "significant"
    assert result.confidence <= 0.3
    assert any("did not see either foot" in note for note in result.notes)
