"""Test 9 — Shoulder Flexion, and upper-body framing for tests 1, 9, 10 and 13.

Real footage: `shoulder_neck/sagor_shoulder_abduction_front.mp4`, a seated man facing the
camera raising both arms SIDEWAYS to overhead (abduction, not flexion) and clapping the
hands overhead, hips below the bottom edge. It is the only real arm-raise clip; it checks
the front-view path: rep finding on real arms, an overhead arm elevation range, the
estimated marking and the lower confidence a front view gets, the upper-body framing.

Constructed (known answers, `tests/fixtures_upper.py`): the real standing side view at
the start of `squat/yuyou_squat_side.mp4` (arms hanging, facing right, right arm near
the camera), repeated, with both arms raised forward to a known humerus-vs-trunk angle
in image and world coordinates, plus known elbow bends, shrugs and backward leans.
"""

from __future__ import annotations

import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring import shoulder_flexion
from tests import fixtures_upper as fx

ARM_RAISE = "shoulder_neck/sagor_shoulder_abduction_front.mp4"
SIDE_STANDING = "squat/yuyou_squat_side.mp4"
STARTS = (2.0, 6.5, 11.0)
RAMP = {"rise_s": 1.2, "hold_s": 0.8, "fall_s": 1.2}
LEGS = {"knees", "ankles", "feet"}
# The neck tests analyse this clip with Face Mesh; pose landmarks do not depend on it, so
# the same cached analysis serves here.
SHARED_ANALYSIS = {"face_mesh": True}


@pytest.fixture
def spec():
    return find_test("shoulder-flexion")


@pytest.fixture
def standing(real_track):
    """Real standing side-view frames (0-0.9 s), moved down in the picture so raised
    arms stay inside it, played back and forth for 16 s."""
    track = fx.shifted(real_track(SIDE_STANDING), 0.3)
    return fx.steady_loop(track, 0.0, 0.9, 16.0)


def raised(base, peak, *, bend=0.0, shrug=0.0, lean=0.0):
    """Three forward raises to `peak` degrees (resting at 8°), with optional faults."""
    t = base.timestamps_s
    track = fx.raise_arms(
        base,
        fx.schedule(t, STARTS, peak=peak, base=8.0, **RAMP),
        elbow_bend_deg=fx.schedule(t, STARTS, peak=bend, **RAMP),
    )
    if shrug:
        track = fx.shrug(track, fx.schedule(t, STARTS, peak=shrug, **RAMP))
    if lean:
        track = fx.lean_back(track, fx.schedule(t, STARTS, peak=lean, **RAMP))
    return track


def angle(result, side):
    return result.metric("shoulder_flexion_deg", side).value


# -- upper-body framing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["neck-flexion-extension", "shoulder-flexion", "wall-slide", "chin-tuck"]
)
def test_upper_body_tests_never_require_the_legs(slug):
    spec = find_test(slug)
    assert spec.framing == "upper"
    for parts in spec.required_parts.values():
        assert not LEGS & set(parts)


# -- real footage: front view -----------------------------------------------------------------


def test_real_front_view_arm_raises(real_track, spec):
    """Real (abduction, not flexion): the front-view path finds the raises on both arms,
    reads an overhead elevation on each, marks the angles estimated and lowers the
    confidence. The hips sit below the picture and the hands leave its top edge at the
    clap, yet the upper-body framing passes the gates (shoulders and elbows required)."""
    track = real_track(ARM_RAISE, **SHARED_ANALYSIS)
    quality = run_quality_checks(track, spec, "front")
    assert quality.passed, quality.failed_codes
    assert track.image[:, 23:25, 1].min() > 1.0  # both hips below the bottom edge
    result = shoulder_flexion.score(track, spec, "front")
    for side in ("left", "right"):
        assert result.metric("reps", side).value >= 5  # 6 raises each, one cut at the start
        assert 145 <= angle(result, side) <= 175
        assert result.metric("shoulder_flexion_deg", side).estimated
        # the hands meet overhead with bent elbows (seen in the video)
        assert result.metric("elbow_angle_deg", side).value < 140
        assert any(f.code == "elbow_bend" and f.side == side for f in result.flags)
        # normal overhead motion lifts the shoulder landmark, below the shrug flag
        assert result.metric("shrug", side).value < spec.threshold("shrug_mild")
    assert result.metric("trunk_lean_back_deg") is None
    assert result.confidence <= spec.threshold("front_confidence_factor")
    assert any("From the front" in note for note in result.notes)


def test_real_front_view_mirrored_swaps_sides(real_track, spec):
    track = real_track(ARM_RAISE, **SHARED_ANALYSIS)
    original = shoulder_flexion.score(track, spec, "front")
    mirrored = shoulder_flexion.score(track.mirrored(), spec, "front")
    assert angle(mirrored, "left") == pytest.approx(angle(original, "right"))
    assert angle(mirrored, "right") == pytest.approx(angle(original, "left"))
    assert angle(original, "left") != pytest.approx(angle(original, "right"))
    assert mirrored.side == {"left": "right", "right": "left"}[original.side]


# -- constructed side view --------------------------------------------------------------------


@pytest.mark.parametrize(("peak", "bucket"), [(170.0, "pass"), (140.0, "limited")])
def test_side_view_reads_the_raise_in_the_picture_plane(standing, spec, peak, bucket):
    """Constructed: three raises to a known angle; only the near (right) arm is seen."""
    track = raised(standing, peak)
    assert run_quality_checks(track, spec, "side").passed
    result = shoulder_flexion.score(track, spec, "side")
    assert angle(result, "right") == pytest.approx(peak, abs=2)
    assert not result.metric("shoulder_flexion_deg", "right").estimated
    assert angle(result, "left") is None
    assert result.metric("reps", "right").value == 3
    assert result.bucket == bucket
    assert result.side == "right"
    assert not result.flags
    assert any("left arm" in note for note in result.notes)


def test_side_view_mirrored_swaps_sides(standing, spec):
    track = raised(standing, 150.0)
    result = shoulder_flexion.score(track.mirrored(), spec, "side")
    assert angle(result, "left") == pytest.approx(150.0, abs=2)
    assert angle(result, "right") is None
    assert result.side == "left"


def test_both_arms_in_one_clip_after_turning_round(standing, spec):
    """Constructed: the right arm side-on reaching 170°, then the person turned round
    (the mirrored frames: left arm near, facing left) reaching only 140°."""
    clip = fx.joined(raised(standing, 170.0), raised(standing, 140.0).mirrored())
    result = shoulder_flexion.score(clip, spec, "side")
    assert angle(result, "right") == pytest.approx(170.0, abs=2)
    assert angle(result, "left") == pytest.approx(140.0, abs=2)
    assert result.metric("reps", "left").value == 3
    assert result.metric("reps", "right").value == 3
    assert result.bucket == "limited"
    assert result.side == "left"
    assert not any("arm side-on" in note for note in result.notes)


@pytest.mark.parametrize(
    ("fault", "code", "side"),
    [
        ({"bend": 50.0}, "elbow_bend", "right"),
        ({"shrug": 0.5}, "scapular_elevation", "right"),
        ({"lean": 15.0}, "lumbar_extension", None),
    ],
)
def test_compensations_are_flagged(standing, spec, fault, code, side):
    """Constructed: a 50° elbow bend, a shrug of half the neck height, a 15° lean back,
    each at the top of every raise to 170°."""
    clean = shoulder_flexion.score(raised(standing, 170.0), spec, "side")
    result = shoulder_flexion.score(raised(standing, 170.0, **fault), spec, "side")
    flag = result.flag(code)
    assert flag is not None and flag.side == side
    assert [f.code for f in result.flags] == [code]
    assert result.score < clean.score
    if code == "lumbar_extension":
        assert result.metric("trunk_lean_back_deg").value == pytest.approx(15.0, abs=3)
        # the angle is measured against the trunk, so leaning back does not inflate it
        assert angle(result, "right") == pytest.approx(170.0, abs=2)


def test_arms_that_never_rise_are_refused(standing, spec):
    with pytest.raises(MovementNotFound, match="arms rise"):
        shoulder_flexion.score(standing, spec, "side")


def test_raises_below_shoulder_height_are_scored_from_the_highest_point(standing, spec):
    """Constructed: raises to 70° never cross the 90° rep angle; the highest point is
    scored as one partial raise and the result says so."""
    result = shoulder_flexion.score(raised(standing, 70.0), spec, "side")
    assert angle(result, "right") == pytest.approx(70.0, abs=2)
    assert result.bucket == "limited"
    assert result.segments[0].values["shoulder_flexion_deg"] == pytest.approx(70.0, abs=2)
    assert any("No full raise" in note for note in result.notes)
