"""Test 1 — Neck Flexion/Extension, and the head-pitch geometry behind tests 1 and 13.

Real footage: two seated front-view clips analysed with Face Mesh. Neither shows a
forward-and-back nod: `sagor_neck_rotation_front.mp4` turns the head left and right,
`sagor_neck_flexion_front.mp4` (named flexion in its source) tips the head to each
shoulder with some turning. They check that turning and tipping are not read as a nod.

Constructed (known answers): nods put into real tracks with `tests/fixtures_upper.py` —
front view on Face Mesh + pose landmarks of the seated arm-raise clip while its arms
rest, side view on the standing start of `squat/yuyou_squat_side.mp4` (where Face Mesh
found no face, so the ear-nose line is used).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.head_pose import head_pitch, neutral_frames, profile_pitch_deg
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring import neck_flexion
from tests import fixtures_upper as fx

ROTATION = "shoulder_neck/sagor_neck_rotation_front.mp4"
TILTING = "shoulder_neck/sagor_neck_flexion_front.mp4"
ARM_RAISE = "shoulder_neck/sagor_shoulder_abduction_front.mp4"
SIDE_STANDING = "squat/yuyou_squat_side.mp4"
FLEXION_STARTS = (2.0, 9.0, 16.0)
EXTENSION_STARTS = (5.5, 12.5, 19.5)


@pytest.fixture
def spec():
    return find_test("neck-flexion-extension")


def nod_schedule(t: np.ndarray, flexion: float, extension: float) -> np.ndarray:
    """Neutral for 2 s, then three cycles: chin down to `flexion`, up to `extension`."""
    down = fx.schedule(t, FLEXION_STARTS, peak=flexion)
    up = fx.schedule(t, EXTENSION_STARTS, peak=extension)
    return down - up


@pytest.fixture
def front_base(real_track):
    """Real Face Mesh + pose frames of a seated person facing the camera, arms resting
    (16.4-17.1 s of the arm-raise clip), repeated to 25 s."""
    track = real_track(ARM_RAISE, face_mesh=True)
    return fx.steady_loop(track, 16.44, 17.09, 25.0)


@pytest.fixture
def side_base(real_track):
    """Real standing side-view frames (0-0.9 s, person facing right), moved down in the
    picture so the head is not at the top edge, repeated to 25 s."""
    track = fx.shifted(real_track(SIDE_STANDING, face_mesh=True), 0.3)
    return fx.steady_loop(track, 0.0, 0.9, 25.0)


def metric(result, name):
    return result.metric(name).value


# -- geometry ------------------------------------------------------------------------------


@pytest.mark.parametrize("facing", [1.0, -1.0])
def test_profile_pitch_is_positive_when_the_nose_drops_whichever_way_the_person_faces(facing):
    ear = np.zeros((3, 2))
    nose = np.array([[facing * 10.0, 0.0], [facing * 10.0, 3.0], [facing * 10.0, -3.0]])
    pitch = profile_pitch_deg(ear, nose, np.array([True, False, False]))
    assert pitch[0] == pytest.approx(0.0, abs=1e-9)
    assert pitch[1] == pytest.approx(np.degrees(np.arctan(0.3)))
    assert pitch[2] == pytest.approx(-np.degrees(np.arctan(0.3)))


# -- real footage: turning and tipping are not a nod -----------------------------------


def test_turning_the_head_is_not_read_as_a_nod(real_track, spec):
    """Real: the head turns about 55° each way (Face Mesh yaw range > 90°) while the
    pitch stays within the 15° a cycle needs, so the clip is refused as 'no nod'."""
    track = real_track(ROTATION, face_mesh=True)
    xy = prepared_xy(track)
    pitch = head_pitch(track, xy, "front", neutral_frames(track, 1.0))
    assert pitch.source == "face_mesh"
    assert np.nanmax(pitch.yaw_deg) - np.nanmin(pitch.yaw_deg) > 90
    assert np.nanmax(np.abs(pitch.pitch_deg)) < spec.threshold("rep_enter_deg")
    with pytest.raises(MovementNotFound, match="turn"):
        neck_flexion.score(track, spec, "front")


def test_tipping_the_head_to_the_shoulders_is_not_read_as_a_nod(real_track, spec):
    """Real: the head tips to each shoulder (roll range > 40°); pitch stays within 15°.
    The clip passes every quality gate facing the camera (seated, upper body), so the
    front-allowed path is reached, and the scorer says no nod was seen."""
    track = real_track(TILTING, face_mesh=True)
    quality = run_quality_checks(track, spec, "front")
    assert quality.passed, quality.failed_codes
    pitch = head_pitch(track, prepared_xy(track), "front", neutral_frames(track, 1.0))
    assert np.nanmax(pitch.roll_deg) - np.nanmin(pitch.roll_deg) > 40
    assert np.nanmax(np.abs(pitch.pitch_deg)) < spec.threshold("rep_enter_deg")
    with pytest.raises(MovementNotFound, match="tip"):
        neck_flexion.score(track, spec, "front")


# -- constructed nods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flexion", "extension", "bucket"),
    [(50.0, 65.0, "pass"), (40.0, 55.0, "limited"), (30.0, 40.0, "significant")],
)
def test_front_view_nod_on_real_face_mesh_is_measured_and_marked_estimated(
    front_base, spec, flexion, extension, bucket
):
    """Constructed: Face Mesh, pose head and world points of a real seated person turned
    in 3-D by a known pitch. Facing the camera the angles are estimates."""
    track = fx.nod_front_view(front_base, nod_schedule(front_base.timestamps_s, flexion, extension))
    result = neck_flexion.score(track, spec, "front")
    assert metric(result, "flexion_deg") == pytest.approx(flexion, abs=4)
    assert metric(result, "extension_deg") == pytest.approx(extension, abs=4)
    assert result.metric("flexion_deg").estimated
    assert result.bucket == bucket
    assert result.reps == 3
    assert result.confidence <= spec.threshold("estimated_confidence_factor")
    assert not result.flags


def test_front_view_without_face_mesh_falls_back_to_world_landmarks(front_base, spec):
    """Constructed: the same nod with the Face Mesh points removed."""
    nodded = fx.nod_front_view(front_base, nod_schedule(front_base.timestamps_s, 50.0, 65.0))
    result = neck_flexion.score(replace(nodded, face=None), spec, "front")
    assert metric(result, "flexion_deg") == pytest.approx(50.0, abs=6)
    assert metric(result, "extension_deg") == pytest.approx(65.0, abs=6)
    assert any("ear and nose" in note for note in result.notes)


@pytest.mark.parametrize(
    ("flexion", "extension", "bucket"),
    [(50.0, 65.0, "pass"), (40.0, 55.0, "limited"), (28.0, 60.0, "significant")],
)
def test_side_view_nod_is_measured_in_the_picture_plane(
    side_base, spec, flexion, extension, bucket
):
    """Constructed: real standing side-view head points turned in the picture's plane
    about the middle of the neck. The clip passes the quality gates side-on."""
    track = fx.nod_side_view(side_base, nod_schedule(side_base.timestamps_s, flexion, extension))
    assert run_quality_checks(track, spec, "side").passed
    result = neck_flexion.score(track, spec, "side")
    assert metric(result, "flexion_deg") == pytest.approx(flexion, abs=4)
    assert metric(result, "extension_deg") == pytest.approx(extension, abs=4)
    assert not result.metric("flexion_deg").estimated
    assert result.bucket == bucket
    assert result.reps == 3
    assert not result.flags


def test_mirroring_a_side_view_changes_nothing(side_base, spec):
    """Constructed: no per-side output, so the mirrored clip scores the same."""
    track = fx.nod_side_view(side_base, nod_schedule(side_base.timestamps_s, 45.0, 62.0))
    original = neck_flexion.score(track, spec, "side")
    mirrored = neck_flexion.score(track.mirrored(), spec, "side")
    assert metric(mirrored, "flexion_deg") == pytest.approx(metric(original, "flexion_deg"))
    assert metric(mirrored, "extension_deg") == pytest.approx(metric(original, "extension_deg"))
    assert mirrored.bucket == original.bucket


def test_shoulders_travelling_with_the_nod_is_trunk_compensation(side_base, spec):
    """Constructed: 50° of head pitch reached two ways. By the neck alone it passes with
    no flag. By 35° of neck flexion plus the upper body leaning 15° forward, the head
    pitch is the same, the shoulders' travel raises trunk_compensation and the result
    is not credited as a pass."""
    t = side_base.timestamps_s
    neck_only = fx.nod_side_view(side_base, nod_schedule(t, 50.0, 65.0))
    with_trunk = fx.lean_back(
        fx.nod_side_view(side_base, nod_schedule(t, 35.0, 65.0)),
        -fx.schedule(t, FLEXION_STARTS, peak=15.0),
    )
    clean = neck_flexion.score(neck_only, spec, "side")
    helped = neck_flexion.score(with_trunk, spec, "side")
    assert clean.flag("trunk_compensation") is None
    assert clean.bucket == "pass"
    assert metric(helped, "flexion_deg") == pytest.approx(50.0, abs=4)
    assert metric(helped, "trunk_shift") > spec.threshold("trunk_shift_moderate")
    assert helped.flag("trunk_compensation").severity == "moderate"
    assert helped.bucket == "limited"
    assert helped.score < clean.score
