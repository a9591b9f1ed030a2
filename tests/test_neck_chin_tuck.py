"""Test 13 — Chin Tuck.

No real chin-tuck clip exists in the shared footage. Every clip here is constructed
(`tests/fixtures_upper.py`): the real standing start of `squat/yuyou_squat_side.mp4`
(side view, analysed with Face Mesh, which found no face in profile, so pitch comes from
the ear-nose line) repeated to 50 s, with the head points slid straight back by a known
share of the ear-to-nose length for five tucks — without turning them (good tucks) or
while also turning them (nodding).
"""

from __future__ import annotations

import numpy as np
import pytest

from flowlogic.catalog import find_test
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.head_pose import neutral_frames
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.quality.gates import run_quality_checks
from flowlogic.scoring import chin_tuck
from tests import fixtures_upper as fx

SIDE_STANDING = "squat/yuyou_squat_side.mp4"
STARTS = (2.0, 10.0, 18.0, 26.0, 34.0)
RETRACTION = 0.35  # head lengths, ≈ 3.5 cm


@pytest.fixture
def spec():
    return find_test("chin-tuck")


@pytest.fixture
def still(real_track):
    """Real standing side-view frames (0-0.9 s), moved down so the head is not at the top
    edge, played back and forth for 50 s: a person sitting still."""
    track = fx.shifted(real_track(SIDE_STANDING, face_mesh=True), 0.3)
    return fx.steady_loop(track, 0.0, 0.9, 50.0)


def tucks(t, holds, *, peak=RETRACTION):
    """Retraction over time: five glides back (0.8 s), holds of `holds` s, glides out."""
    values = np.zeros(len(t))
    for start, hold in zip(STARTS, np.broadcast_to(holds, (len(STARTS),)), strict=True):
        values += fx.schedule(t, [start], peak=peak, rise_s=0.8, hold_s=float(hold), fall_s=0.8)
    return values


def value(result, name):
    return result.metric(name).value


def test_sitting_still_shows_no_tuck(still, spec):
    """Real landmark sway of a still person stays well under the enter level, and the
    scorer says it saw no tuck rather than scoring one."""
    retraction = chin_tuck.retraction_series(
        prepared_xy(still), "right", neutral_frames(still, spec.threshold("neutral_s"))
    )
    assert np.nanmax(np.abs(retraction)) < spec.threshold("retraction_enter")
    assert run_quality_checks(still, spec, "side").passed
    with pytest.raises(MovementNotFound, match="chin slide back"):
        chin_tuck.score(still, spec, "side")


def test_five_level_tucks_held_five_seconds_pass(still, spec):
    track = fx.retract_head(still, tucks(still.timestamps_s, 5.0))
    assert run_quality_checks(track, spec, "side").passed
    result = chin_tuck.score(track, spec, "side")
    assert result.bucket == "pass"
    assert value(result, "reps") == 5
    assert value(result, "good_reps") == 5
    assert value(result, "retraction") == pytest.approx(RETRACTION, abs=0.06)
    # the hold counts from halfway in to halfway out of each 0.8 s glide
    assert 5.0 <= value(result, "hold_seconds") <= 6.0
    assert value(result, "nod_deg") < 5
    assert not result.flags


def test_holds_under_four_seconds_need_work(still, spec):
    track = fx.retract_head(still, tucks(still.timestamps_s, 2.5))
    result = chin_tuck.score(track, spec, "side")
    assert result.bucket == "needs-work"
    assert value(result, "good_reps") == 0
    assert value(result, "hold_seconds") < spec.threshold("min_hold_s")
    assert result.flag("short_hold").severity == "moderate"


def test_four_good_tucks_are_enough(still, spec):
    """One short hold among five: pass (≥ 4 good reps), with a mild short_hold flag."""
    track = fx.retract_head(still, tucks(still.timestamps_s, [5.0, 5.0, 2.0, 5.0, 5.0]))
    result = chin_tuck.score(track, spec, "side")
    assert value(result, "good_reps") == 4
    assert result.bucket == "pass"
    assert result.flag("short_hold").severity == "mild"
    assert [s.values["good"] for s in result.segments] == [1.0, 1.0, 0.0, 1.0, 1.0]


def test_nodding_instead_of_gliding_back_is_flagged(still, spec):
    """The same tucks with the head also turned 15° chin-down about the ear."""
    t = still.timestamps_s
    slid = fx.retract_head(still, tucks(t, 5.0))
    nodding = fx.nod_side_view(slid, tucks(t, 5.0, peak=15.0), pivot="ear")
    result = chin_tuck.score(nodding, spec, "side")
    assert value(result, "nod_deg") == pytest.approx(15.0, abs=4)
    assert result.flag("nodding").severity == "moderate"
    assert value(result, "good_reps") == 0
    assert result.bucket == "needs-work"


def test_a_nod_alone_is_not_a_tuck(still, spec):
    """Turning the head about the ear without sliding it back moves the ear nowhere."""
    nod_only = fx.nod_side_view(still, tucks(still.timestamps_s, 5.0, peak=15.0), pivot="ear")
    with pytest.raises(MovementNotFound):
        chin_tuck.score(nod_only, spec, "side")


def test_mirrored_clip_scores_the_same(still, spec):
    track = fx.retract_head(still, tucks(still.timestamps_s, [5.0, 5.0, 5.0, 2.5, 5.0]))
    original = chin_tuck.score(track, spec, "side")
    mirrored = chin_tuck.score(track.mirrored(), spec, "side")
    assert mirrored.bucket == original.bucket
    for name in ("good_reps", "retraction", "hold_seconds", "nod_deg"):
        assert value(mirrored, name) == pytest.approx(value(original, name))
