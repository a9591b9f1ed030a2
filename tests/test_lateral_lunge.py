"""Test 8 — Lateral Lunge: scorer and quality gates.

Real evidence is one clip, lunge/nowva_side_lunge_front.mp4: a man holding a dumbbell at
his chest, wide stance, shifting into ten deep lunges to his right (one about every 3 s,
trailing left leg straight, chest up: a clean demonstration). He never lunges to his left,
so the other side and the flags are checked on constructed tracks (tests/fixtures_lower.py)
made from the same real landmarks: the clip followed by its mirror image (lunges to both
sides), and that with the right lunges made shallower, the right knee caved toward the
midline, or the trunk tipped further over.

| evidence | kind | result |
|---|---|---|
| nowva_side_lunge_front.mp4 | real | 10 lunges right, drop 0.32 leg, good, no flags |
| same, inference on mirrored frames | real | 10 lunges left, same depth, good |
| lunge/nowva_lunge_side.mp4 | real | WRONG_VIEW (side view) |
| squat/nowva_goblet_squat_front.mp4 | real | gates pass; refused: no lunge |
| real + mirror | constructed | 10 + 10 lunges, asymmetry 0 %, good |
| right lunges 75 % / 50 % as deep | constructed | asymmetry right mild / moderate |
| right knee 0.35 / 0.55 hip widths in | constructed | knee_valgus right mild / moderate |
| trunk tipped 15° / 25° further | constructed | trunk_lean right mild / moderate |
"""

from __future__ import annotations

import pytest

from flowlogic.assess import judge_track
from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring.lateral_lunge import score
from tests import fixtures_lower as fx

SPEC = find_test("lateral-lunge")
CLIP = "lunge/nowva_side_lunge_front.mp4"
SWAP = {"left": "right", "right": "left", None: None}


def _value(result, name, side=None):
    metric = result.metric(name, side)
    assert metric is not None, f"no metric {name} {side}"
    return metric.value


def _flags(result):
    return {(f.code, f.side, f.severity) for f in result.flags}


@pytest.fixture
def lunges(real_track):
    return real_track(CLIP)


def test_real_lateral_lunges_to_the_right(lunges):
    """Real: the gates accept the clip; ten complete lunges, all to his right (the clip
    starts standing and ends standing); deep (pelvis 0.3-0.4 leg lengths down, 2-D knee
    angle about 100-115°), trailing leg straight, knee over the foot, trunk leaning
    modestly toward the bent leg: a clean demonstration gets no flags."""
    report = run_quality_checks(lunges, SPEC, "front")
    assert report.passed, report.failed_codes
    result = score(lunges, SPEC, "front")
    assert result.reps == 10
    assert [r.side for r in result.segments] == ["right"] * 10
    assert 0.28 <= _value(result, "depth_pelvis_drop", "right") <= 0.40
    assert 95 <= _value(result, "depth_knee_angle_deg", "right") <= 120
    assert result.metric("depth_knee_angle_deg", "right").estimated
    assert _value(result, "trailing_knee_straight", "right") == 1.0
    assert _value(result, "knee_over_foot", "right") < 0.0  # knee outside the ankle
    assert 0 < _value(result, "trunk_lateral_lean_deg", "right") < 20
    assert result.flags == ()
    assert result.bucket == "good" and result.normalized == "pass" and result.score >= 90
    assert _value(result, "depth_knee_angle_deg", "left") is None
    assert _value(result, "depth_asymmetry_pct") is None
    assert any("the left side was not" in note for note in result.notes)


def test_real_mirrored_inference_lunges_to_the_left(lunges, real_track):
    """Real, a fresh pose pass on the flipped frames: every lunge is now to his left and
    the left side's numbers match the right side's of the plain clip (within what a second
    inference on flipped pixels moves them)."""
    plain = score(lunges, SPEC, "front")
    mirrored = score(real_track(CLIP, mirror=True), SPEC, "front")
    assert [r.side for r in mirrored.segments] == ["left"] * plain.reps
    assert _value(mirrored, "depth_knee_angle_deg", "right") is None
    for name, tolerance in (
        ("depth_pelvis_drop", 0.03),
        ("depth_knee_angle_deg", 5.0),
        ("trunk_lateral_lean_deg", 4.0),
        ("knee_over_foot", 0.2),
    ):
        assert _value(mirrored, name, "left") == pytest.approx(
            _value(plain, name, "right"), abs=tolerance
        ), name
    assert mirrored.bucket == plain.bucket
    assert _flags(mirrored) == {(c, SWAP[s], sev) for c, s, sev in _flags(plain)}


def test_side_view_clip_is_refused_as_wrong_view(real_track):
    """Real: forward lunges filmed from the side cannot show a sideways lunge."""
    report = run_quality_checks(real_track("lunge/nowva_lunge_side.mp4"), SPEC, "front")
    assert "WRONG_VIEW" in report.failed_codes


def test_squat_is_not_scored_as_sided_lunges(real_track):
    """Real goblet squats, front view. The gates pass: they check that the body is seen,
    framed and moving, and a squat moves a lot (the NO_MOTION gate measures how far the
    landmarks travel, not which way). The scorer then finds both knees bending together
    and no lunge to either side, and refuses with a NO_MOTION-coded error that says so,
    instead of reporting lunges that did not happen."""
    squat = real_track("squat/nowva_goblet_squat_front.mp4")
    assert run_quality_checks(squat, SPEC, "front").passed
    with pytest.raises(MovementNotFound, match="both knees bend together") as refused:
        score(squat, SPEC, "front")
    assert refused.value.code == "NO_MOTION" and refused.value.exit_code == 3
    judged = judge_track(squat, SPEC)  # gates then scorer, as every interface runs them
    assert judged.result is None
    assert judged.quality.failed_codes == ["NO_MOTION"]


def test_both_sides_equal_is_symmetric(lunges):
    """Constructed: the real clip, then its mirror image: ten lunges each side, equally deep,
    so no asymmetry, no flags and no worse side."""
    both = fx.lunges_both_sides(lunges)
    assert run_quality_checks(both, SPEC, "front").passed
    result = score(both, SPEC, "front")
    assert _value(result, "reps", "left") == 10 and _value(result, "reps", "right") == 10
    assert _value(result, "depth_asymmetry_pct") == pytest.approx(0, abs=1)
    assert result.flags == () and result.side is None
    assert not any("not recorded" in note or "was not" in note for note in result.notes)


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (0.75, {("asymmetry", "right", "mild")}),
        (0.5, {("asymmetry", "right", "moderate"), ("insufficient_depth", "right", "mild")}),
    ],
)
def test_shallower_side_is_flagged_as_asymmetry(lunges, keep, expected):
    """Constructed: lunges to both sides, the right ones going only `keep` of the real way
    down (75 %: 25 % less deep, over the 15 % mild line; 50 %: past the 30 % moderate line
    and above the 0.22 leg-length depth). The right side is the worse side."""
    result = score(fx.shallower_lunges(fx.lunges_both_sides(lunges), "right", keep), SPEC, "front")
    # each rep is blended by its own depth against the clip's deepest, so a little under
    # (1 - keep) of the depth goes
    assert 0.8 * (1 - keep) * 100 <= _value(result, "depth_asymmetry_pct") <= (1 - keep) * 100 + 3
    assert _flags(result) == expected
    assert result.side == "right"


@pytest.mark.parametrize(("inward", "severity"), [(0.35, "mild"), (0.55, "moderate")])
def test_knee_caving_inward_is_knee_valgus(lunges, inward, severity):
    """Constructed: the right knee moved toward the midline by `inward` hip widths at the
    deepest point. The real knee ends about 0.16 hip widths outside its ankle, so it now
    ends about 0.2 / 0.4 inside: over the 0.15 and 0.30 lines. Never severe from one
    camera (CATALOG.md notes)."""
    plain = _value(score(lunges, SPEC, "front"), "knee_over_foot", "right")
    result = score(fx.cave_knee(lunges, "right", inward), SPEC, "front")
    assert _value(result, "knee_over_foot", "right") == pytest.approx(plain + inward, abs=0.06)
    assert ("knee_valgus", "right", severity) in _flags(result)
    assert result.side == "right"


@pytest.mark.parametrize(("extra", "severity"), [(15, "mild"), (25, "moderate")])
def test_trunk_tipping_over_is_trunk_lean(lunges, extra, severity):
    """Constructed: everything above the hips tipped a further `extra` degrees toward the
    bent leg at the deepest point (real lean ≈ 12°, so ≈ 27° / 37°: over 20 and 30)."""
    plain = _value(score(lunges, SPEC, "front"), "trunk_lateral_lean_deg", "right")
    result = score(fx.tilt_trunk(lunges, "right", extra), SPEC, "front")
    assert _value(result, "trunk_lateral_lean_deg", "right") == pytest.approx(
        plain + extra, abs=2.0
    )
    assert _flags(result) == {("trunk_lean", "right", severity)}


def test_mirroring_swaps_flags_and_sides(lunges):
    """Constructed (both sides, right knee caving, right lunges shallower) and its mirror
    image: every per-side metric, flag and the worse side swap."""
    clip = fx.cave_knee(
        fx.shallower_lunges(fx.lunges_both_sides(lunges), "right", 0.8), "right", 0.4
    )
    plain, mirrored = score(clip, SPEC, "front"), score(clip.mirrored(), SPEC, "front")
    assert plain.flags, "the constructed faults should be flagged"
    assert _flags(mirrored) == {(c, SWAP[s], sev) for c, s, sev in _flags(plain)}
    assert mirrored.side == SWAP[plain.side]
    for metric in plain.metrics:
        twin = mirrored.metric(metric.name, SWAP[metric.side])
        if metric.value is None:
            assert twin.value is None
        else:
            assert twin.value == pytest.approx(metric.value, abs=1e-3), metric.key
