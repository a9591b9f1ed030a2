"""Test 5 — 90-90 Hip/Shoulder rotation: scorer and quality gates.

No real 90-90 footage exists. The scorer is checked against known answers on constructed
tracks (tests/fixtures_lower.py) built from real landmarks: the seated man of
shoulder_neck/sagor_neck_flexion_front.mp4 (zoomed out so his feet are in the picture)
with his shins turned about the real knees through chosen hip rotations, and the still
first frames of overhead_squat/ohsquat_IMG7027_front.mov with the arms re-posed at 90°
abduction and the forearms turned through chosen shoulder rotations. Real clips that are
not this test are the check that the part-finders do not invent angles.

| evidence | kind | result |
|---|---|---|
| hips L 38/45, R 22/48 + shoulders L 90/65, R 72/50 | constructed | read back ±1°, limited, right |
| all angles within range | constructed | within-range, no flags |
| seated part only / standing part only | constructed | other part "not recorded" |
| sagor neck exercises (seated, no rotations) | real | seated found, refused: no rotation |
| IMG7027 overhead squat, goblet squat, lateral lunge | real | refused: no rotation |
"""

from __future__ import annotations

import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring.ninety_ninety import score, seated_frames
from tests import fixtures_lower as fx

SPEC = find_test("ninety-ninety")
SEATED = "shoulder_neck/sagor_neck_flexion_front.mp4"
STANDING = "overhead_squat/ohsquat_IMG7027_front.mov"
SWAP = {"left": "right", "right": "left", None: None}
#: constructed angles are exact; the scorer reads them through smoothing and a median
TOLERANCE_DEG = 1.0

HIPS = {"left": (38, 45), "right": (22, 48)}  # (IR, ER)
SHOULDERS = {"left": (90, 65), "right": (72, 50)}  # (ER, IR)


def _value(result, name, side=None):
    metric = result.metric(name, side)
    assert metric is not None, f"no metric {name} {side}"
    return metric.value


def _flags(result):
    return {(f.code, f.side, f.severity) for f in result.flags}


@pytest.fixture
def seated(real_track):
    return real_track(SEATED)


@pytest.fixture
def standing(real_track):
    return real_track(STANDING)


def _hips(seated, angles=HIPS):
    return fx.seated_hip_rotation(seated, angles["left"], angles["right"])


def _shoulders(standing, angles=SHOULDERS):
    return fx.standing_shoulder_rotation(standing, angles["left"], angles["right"])


def test_whole_test_reads_back_every_constructed_angle(seated, standing):
    """Constructed, one clip: seated hips (left IR 38 / ER 45, right IR 22 / ER 48), 1.5 s
    standing up, then shoulders (left ER 90 / IR 65, right ER 72 / IR 50). The gates pass
    from the front; each angle comes back within 1°. Right hip IR (22 < 30), right shoulder
    ER (72 < 80) and IR (50 < 60) are limited (all above 70 % of their range: mild); the
    largest side difference is shoulder ER, 18° (mild, on the right)."""
    clip = fx.ninety_ninety_clip(_hips(seated), _shoulders(standing))
    report = run_quality_checks(clip, SPEC, "front")
    assert report.passed, report.failed_codes
    result = score(clip, SPEC, "front")
    for side in ("left", "right"):
        ir, er = HIPS[side]
        assert _value(result, "hip_ir_deg", side) == pytest.approx(ir, abs=TOLERANCE_DEG)
        assert _value(result, "hip_er_deg", side) == pytest.approx(er, abs=TOLERANCE_DEG)
        er, ir = SHOULDERS[side]
        assert _value(result, "shoulder_er_deg", side) == pytest.approx(er, abs=TOLERANCE_DEG)
        assert _value(result, "shoulder_ir_deg", side) == pytest.approx(ir, abs=TOLERANCE_DEG)
    assert result.metric("shoulder_er_deg", "left").estimated
    assert not result.metric("hip_ir_deg", "left").estimated
    assert _value(result, "shoulder_er_asymmetry_deg") == pytest.approx(18, abs=2 * TOLERANCE_DEG)
    assert _flags(result) == {
        ("limited_hip_ir", "right", "mild"),
        ("limited_shoulder_er", "right", "mild"),
        ("limited_shoulder_ir", "right", "mild"),
        ("asymmetry", "right", "mild"),
    }
    assert result.bucket == "limited" and result.normalized == "limited"
    assert 60 <= result.score <= 74
    assert result.side == "right"
    hips_part, shoulders_part = result.segments
    seated_s = _hips(seated).duration_s
    assert hips_part.start_s < 1.0 and hips_part.end_s < shoulders_part.start_s
    assert shoulders_part.start_s > seated_s  # after standing up


def test_mirroring_swaps_every_side_specific_output(seated, standing):
    """Constructed clip and its mirror image: angles, flags and the worse side swap."""
    clip = fx.ninety_ninety_clip(_hips(seated), _shoulders(standing))
    plain, mirrored = score(clip, SPEC, "front"), score(clip.mirrored(), SPEC, "front")
    for metric in plain.metrics:
        twin = mirrored.metric(metric.name, SWAP[metric.side])
        assert twin.value == pytest.approx(metric.value, abs=0.1), metric.key
    assert _flags(mirrored) == {(c, SWAP[s], sev) for c, s, sev in _flags(plain)}
    assert mirrored.side == SWAP[plain.side]


def test_all_within_range_is_a_pass(seated, standing):
    """Constructed: every angle at or above its range (hip IR 30, ER 40; shoulder ER 80,
    IR 60) and sides within 10°: within-range, no flags."""
    clip = fx.ninety_ninety_clip(
        _hips(seated, {"left": (40, 50), "right": (36, 46)}),
        _shoulders(standing, {"left": (92, 70), "right": (86, 64)}),
    )
    result = score(clip, SPEC, "front")
    assert result.flags == ()
    assert result.bucket == "within-range" and result.normalized == "pass"
    assert result.score >= 90
    assert result.side is None


def test_clearly_limited_hip_is_moderate(seated):
    """Constructed: left hip IR 15° is under 70 % of the 30° range (21°): moderate; its
    27° difference to the right side (42°) is a moderate asymmetry too."""
    result = score(_hips(seated, {"left": (15, 45), "right": (42, 46)}), SPEC, "front")
    assert _value(result, "hip_ir_deg", "left") == pytest.approx(15, abs=TOLERANCE_DEG)
    assert ("limited_hip_ir", "left", "moderate") in _flags(result)
    assert ("asymmetry", "left", "moderate") in _flags(result)
    assert result.side == "left"


def test_seated_part_only_says_shoulders_were_not_recorded(seated, standing):
    """Constructed: only the seated hip part. Hip angles are read, shoulder ones are absent
    (not zero), the result says so, and confidence is lower than for the whole test."""
    hips_only = score(_hips(seated), SPEC, "front")
    assert _value(hips_only, "hip_ir_deg", "left") == pytest.approx(38, abs=TOLERANCE_DEG)
    assert _value(hips_only, "shoulder_er_deg", "left") is None
    assert _value(hips_only, "shoulder_ir_deg", "right") is None
    assert any("shoulder rotation part was not recorded" in n for n in hips_only.notes)
    whole = score(fx.ninety_ninety_clip(_hips(seated), _shoulders(standing)), SPEC, "front")
    assert hips_only.confidence < whole.confidence


def test_standing_part_only_says_hips_were_not_recorded(standing):
    """Constructed: only the standing shoulder part; the gates pass and hip angles are
    absent, with a note."""
    clip = _shoulders(standing)
    assert run_quality_checks(clip, SPEC, "front").passed
    result = score(clip, SPEC, "front")
    assert _value(result, "shoulder_er_deg", "left") == pytest.approx(90, abs=TOLERANCE_DEG)
    assert _value(result, "hip_ir_deg", "left") is None
    assert any("hip rotation (seated) part was not recorded" in n for n in result.notes)


def test_a_limb_that_stays_still_is_not_called_stiff(seated, standing):
    """Constructed: the right shin and the right arm never move. Their angles are absent
    (a still limb is not a 0° range) and the notes say so; the left side is still read."""
    clip = fx.ninety_ninety_clip(
        fx.seated_hip_rotation(seated, HIPS["left"], None),
        fx.standing_shoulder_rotation(standing, SHOULDERS["left"], None),
    )
    result = score(clip, SPEC, "front")
    assert _value(result, "hip_ir_deg", "right") is None
    assert _value(result, "shoulder_er_deg", "right") is None
    assert _value(result, "hip_er_deg", "left") == pytest.approx(45, abs=TOLERANCE_DEG)
    assert any("right leg barely moved" in n for n in result.notes)
    assert any("right arm barely moved" in n for n in result.notes)
    assert result.flag("asymmetry") is None


def test_real_seated_body_is_seen_seated_and_standing_bodies_are_not(seated, real_track):
    """Real: the seated man is seated in every frame by the 3-D knee angle; a standing
    side-leg-raise clip and a standing yoga flow never are."""
    assert seated_frames(seated, SPEC).mean() > 0.95
    for clip in (
        "balance/darebee_side_leg_raise_front.mp4",
        "yoga/yoga_standing_sequence_front.mp4",
    ):
        assert not seated_frames(real_track(clip), SPEC).any(), clip


@pytest.mark.parametrize(
    "clip",
    [
        SEATED,  # seated, but only the head moves
        STANDING,  # arms overhead, squatting
        "squat/nowva_goblet_squat_front.mp4",  # knees bent at depth, shins still
        "lunge/nowva_side_lunge_front.mp4",  # one knee bent, shins angled by the wide stance
    ],
)
def test_real_clips_without_rotations_are_not_scored(real_track, clip):
    """Real clips of other movements: no shin swings while seated and no forearm turns
    with the arm out at shoulder height, so no angle is invented."""
    with pytest.raises(MovementNotFound, match="hip or shoulder rotations"):
        score(real_track(clip), SPEC, "front")
