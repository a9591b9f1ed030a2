"""Test 14 (bird dog): no real bird-dog clip exists, so every scoring test here runs on a
constructed track (tests/fixtures_floor.bird_dog_track): the real top-of-push-up frame
of plank_pushup/darebee_pushup_side (side view, near side = left), its trunk and head
turned onto a hands-and-knees trunk line, limbs re-posed in image and world with the
real segment lengths, then one leg and the opposite arm driven to known angles, held
and returned, alternating sides, with about a pixel of seeded jitter.

`flowlogic.assess.score_video` needs tier Pro+ for this test, and tiers above Free are
not implemented yet, so these tests call the quality gates and the scorer directly.
"""

from __future__ import annotations

import numpy as np
import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring.bird_dog import score
from tests.fixtures_floor import bird_dog_track

SPEC = find_test("bird-dog")
PUSHUP = "plank_pushup/darebee_pushup_side.mp4"


@pytest.fixture
def quadruped_base(real_track):
    """The push-up clip and its frame with the arms straightest (shoulder highest
    above the elbow): the top of a push-up."""
    track = real_track(PUSHUP)
    frame = int(np.nanargmax(track.xy[:, L.LEFT_ELBOW, 1] - track.xy[:, L.LEFT_SHOULDER, 1]))
    return track, frame


def _reps(left: tuple[float, float], right: tuple[float, float]) -> list:
    return [("left", *left), ("right", *right)] * 6


def test_spec_is_a_quadruped_side_view_test():
    assert SPEC.scorer == "bird_dog"
    assert SPEC.position == "quadruped"
    assert set(SPEC.required_for("side")) == {"shoulders", "hips", "knees", "wrists", "ankles"}
    assert all(text.words and text.meaning for text in SPEC.flags.values())


def test_constructed_bird_dog_recovers_limb_angles_and_holds(quadruped_base):
    """Constructed: each leg straight back at 0° (level) with the opposite arm at 5°
    above level, held 2.1 s (70 % of a 3 s rep), six each side. The scorer must count
    6 + 6, recover both angles within 2° and the hold within 0.5 s, with no flags."""
    track = bird_dog_track(*quadruped_base, _reps((0, 5), (0, 5)))
    assert track.duration_s <= SPEC.duration_limit_s
    assert run_quality_checks(track, SPEC, "side").passed
    result = score(track, SPEC, "side")
    for leg, arm in (("left", "right"), ("right", "left")):
        assert result.metric("reps", leg).value == 6
        assert result.metric("leg_angle_deg", leg).value == pytest.approx(0, abs=2)
        assert result.metric("arm_angle_deg", arm).value == pytest.approx(5, abs=2)
        assert result.metric("hold_seconds", leg).value == pytest.approx(2.1, abs=0.5)
    assert result.bucket == "pass"
    assert not result.flags
    assert result.side is None


def test_constructed_low_left_leg_is_below_level_on_the_left(quadruped_base):
    """Constructed: the left leg only reaches 22° below level (mild: 15-30°)."""
    track = bird_dog_track(*quadruped_base, _reps((-22, 5), (0, 5)))
    result = score(track, SPEC, "side")
    assert result.metric("leg_angle_deg", "left").value == pytest.approx(-22, abs=2)
    flag = result.flag("limb_below_level")
    assert (flag.side, flag.severity) == ("left", "mild")
    assert result.side == "left"
    mirrored = score(track.mirrored(), SPEC, "side")
    assert mirrored.flag("limb_below_level").side == "right"
    assert mirrored.side == "right"


def test_constructed_hips_sinking_with_the_right_leg(quadruped_base):
    """Constructed: the hips sink 4 cm during holds with the right leg back, about 0.08
    torso lengths on this body (mild: 0.06-0.12), and not on the left."""
    track = bird_dog_track(
        *quadruped_base, _reps((0, 5), (0, 5)), hip_drop_m=0.04, fault_side="right"
    )
    result = score(track, SPEC, "side")
    assert [(f.code, f.side, f.severity) for f in result.flags] == [("hip_drop", "right", "mild")]
    assert result.metric("hip_drop", "left").value == pytest.approx(0.0, abs=0.02)
    assert score(track.mirrored(), SPEC, "side").flag("hip_drop").side == "left"


def test_constructed_pelvis_tipping_is_trunk_rotation(quadruped_base):
    """Constructed: the pelvis tips 15° toward the supporting side while the left leg is
    back (world hip axis). Measured from model depth: 15° ± 2°, estimated, mild."""
    track = bird_dog_track(
        *quadruped_base, _reps((0, 5), (0, 5)), pelvis_tilt_deg=15, fault_side="left"
    )
    result = score(track, SPEC, "side")
    rotation = result.metric("trunk_rotation_deg", "left")
    assert rotation.value == pytest.approx(15, abs=2)
    assert rotation.estimated
    assert result.metric("trunk_rotation_deg", "right").value < 2
    assert result.flag("trunk_rotation").side == "left"


def test_constructed_sliding_forward_is_balance_drift(quadruped_base):
    """Constructed: the whole body slides 8 cm forward during every hold (≈ 0.15 torso
    lengths here: mild 0.10-0.20) on both sides."""
    track = bird_dog_track(*quadruped_base, _reps((0, 5), (0, 5)), drift_m=0.08)
    result = score(track, SPEC, "side")
    flags = sorted((f.side, f.severity) for f in result.flags if f.code == "balance_drift")
    assert flags == [("left", "mild"), ("right", "mild")]
    assert result.bucket == "needs-work"


def test_real_pushups_are_no_bird_dog_reps(real_track):
    """The real push-up clip is on the floor too, but the legs stay straight from start
    to end: no leg reaches back from a bent knee, so the attempt fails and says so."""
    with pytest.raises(MovementNotFound, match="leg reach back"):
        score(real_track(PUSHUP), SPEC, "side")


def test_constructed_one_side_only_is_said(quadruped_base):
    """Constructed: six reps with the right leg only. The left side is reported as not
    seen, not guessed, and the result cannot pass."""
    track = bird_dog_track(*quadruped_base, [("right", 0, 5)] * 6)
    result = score(track, SPEC, "side")
    assert result.metric("reps", "left").value == 0
    assert result.metric("leg_angle_deg", "left").value is None
    assert any("left leg" in note for note in result.notes)
    assert result.bucket == "needs-work"


def test_constructed_leg_without_the_arm_is_not_a_rep(quadruped_base):
    """Constructed: the right leg reaches back level but the left arm stays hanging
    (-90°). Those reps are not counted; the left-leg reps (with the arm) are."""
    track = bird_dog_track(*quadruped_base, _reps((0, 5), (0, -90)))
    result = score(track, SPEC, "side")
    assert result.metric("reps", "left").value == 6
    assert result.metric("reps", "right").value == 0
    assert any("right leg reach back with the left arm" in note for note in result.notes)
