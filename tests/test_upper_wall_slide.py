"""Test 10 — Wall Slide.

No real wall-slide clip exists in the shared footage. Every clip here is constructed
(`tests/fixtures_upper.py`): the real standing side view at the start of
`squat/yuyou_squat_side.mp4` (facing right, right arm near the camera), repeated to 30 s,
with both arms moved in the body's frontal plane from a W (upper arm at 90°, elbow bent
90°) up to a Y of known elevation and back, five times, in image and world coordinates.
Side-on that plane is seen edge-on, so the arms move along the trunk line in the picture;
known faults are added: arms coming off the wall, a backward lean, a shrug.
"""

from __future__ import annotations

import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring import wall_slide
from tests import fixtures_upper as fx

SIDE_STANDING = "squat/yuyou_squat_side.mp4"
STARTS = (2.0, 7.0, 12.0, 17.0, 22.0)
RAMP = {"rise_s": 1.5, "hold_s": 0.7, "fall_s": 1.5}


@pytest.fixture
def spec():
    return find_test("wall-slide")


@pytest.fixture
def standing(real_track):
    track = fx.shifted(real_track(SIDE_STANDING), 0.3)
    return fx.steady_loop(track, 0.0, 0.9, 30.0)


def slides(base, peak, *, away=0.0, lean=0.0, shrug=0.0):
    t = base.timestamps_s
    track = fx.wall_slide_arms(
        base,
        fx.schedule(t, STARTS, peak=peak, base=90.0, **RAMP),
        peak_deg=peak,
        departure=fx.schedule(t, STARTS, peak=away, **RAMP),
    )
    if shrug:
        track = fx.shrug(track, fx.schedule(t, STARTS, peak=shrug, **RAMP))
    if lean:
        track = fx.lean_back(track, fx.schedule(t, STARTS, peak=lean, **RAMP))
    return track


def value(result, name, side=None):
    return result.metric(name, side).value


def test_clean_slides_to_a_y_pass(standing, spec):
    track = slides(standing, 165.0)
    assert run_quality_checks(track, spec, "side").passed
    result = wall_slide.score(track, spec, "side")
    assert result.bucket == "pass"
    assert result.reps == 5
    assert value(result, "max_arm_elevation_deg", "right") == pytest.approx(165.0, abs=3)
    assert result.metric("max_arm_elevation_deg", "right").estimated
    assert abs(value(result, "wrist_departure", "right")) < 0.05
    assert abs(value(result, "elbow_departure", "right")) < 0.05
    assert not result.flags


def test_slides_that_stop_short_of_a_y_need_work(standing, spec):
    result = wall_slide.score(slides(standing, 135.0), spec, "side")
    assert value(result, "max_arm_elevation_deg", "right") == pytest.approx(135.0, abs=3)
    assert not result.flags
    assert result.bucket == "needs-work"


@pytest.mark.parametrize(
    ("fault", "code", "side", "metric_name", "expected"),
    [
        ({"away": 0.3}, "arms_leave_wall", "right", "wrist_departure", 0.3),
        ({"lean": 15.0}, "lumbar_arch", None, "trunk_arch_deg", 15.0),
        ({"shrug": 0.5}, "shrug", "right", "shrug", 0.5),
    ],
)
def test_faults_are_measured_and_flagged(standing, spec, fault, code, side, metric_name, expected):
    result = wall_slide.score(slides(standing, 165.0, **fault), spec, "side")
    flag = result.flag(code)
    assert flag is not None and flag.side == side
    assert [f.code for f in result.flags] == [code]
    measured = value(result, metric_name, None if metric_name == "trunk_arch_deg" else "right")
    assert measured == pytest.approx(expected, rel=0.15)


def test_mirrored_clip_swaps_the_measured_side(standing, spec):
    track = slides(standing, 160.0, away=0.3)
    result = wall_slide.score(track.mirrored(), spec, "side")
    assert value(result, "max_arm_elevation_deg", "left") is not None
    assert result.metric("max_arm_elevation_deg", "right") is None
    assert result.flag("arms_leave_wall").side == "left"
    assert result.side == "left"


def test_arms_held_in_the_w_are_no_slide(standing, spec):
    track = slides(standing, 90.0)
    assert "NO_MOTION" in run_quality_checks(track, spec, "side").failed_codes
    with pytest.raises(MovementNotFound, match="slide up the wall"):
        wall_slide.score(track, spec, "side")


def test_a_real_squat_with_arms_raised_is_no_wall_slide(real_track, spec):
    """Real clip: darebee's squats (side view) raise the arms forward as the hips sink;
    the arms pass the slide angles, the hips sink 0.77–0.88 torso lengths."""
    track = real_track("squat/darebee_squat_side.mp4")
    with pytest.raises(MovementNotFound, match="hips sank"):
        wall_slide.score(track, spec, "side")


def test_slides_keep_the_hips_at_standing_height(standing, spec):
    track = slides(standing, 165.0)
    xy = wall_slide.prepared_xy(track)
    found = wall_slide.find_slides(track, xy, spec, "left")
    assert found and max(s.hip_drop for s in found) < spec.threshold("standing_hip_drop_max")
