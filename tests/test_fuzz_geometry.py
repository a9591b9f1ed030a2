"""Fuzzing the geometry, the quality gates and every registered scorer with `hypothesis`.

Tracks start from the real MediaPipe track of the bundled sample (a person squatting,
front view) and are then damaged the ways real input can be: cut to zero, one or a few
frames; frames with no pose (NaN, visibility 0); single landmarks lost; everything
invisible; huge, infinite or collapsed coordinates; noise; the person turned to lie down
(floor tests); shaking; random landmarks; an unusual frame size or rate; uneven
timestamps; a mirrored clip; a face mesh present, absent or half NaN.

Properties, for every test in the catalog that has a scorer:
- `run_quality_checks` always returns a report, and its document is valid JSON (no NaN
  or infinity: `json.dumps(..., allow_nan=False)`);
- `judge_track` always returns a judgement (a scorer's `MovementNotFound` becomes an
  invalid judgement); a result has a score 0-100 inside its bucket and a finite confidence;
- the scorer called on its own (no gates in front) returns a result or raises
  `MovementNotFound`, nothing else.
And for the geometry primitives: angles stay in range or NaN, filters keep the shape,
segments stay inside the signal, for any floats (NaN, infinities, huge values).

Budget (recorded for the issue): 200 examples per test for the track property (15 tests,
3,000 tracks, each through the gates, the judgement and the scorer), 300 per geometry
property; no deadline; examples are generated, not replayed from a database.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flowlogic.assess import judge_track
from flowlogic.catalog import TestSpec as Spec
from flowlogic.catalog import load_catalog
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import (
    angle_at,
    bend_above_line_deg,
    inclination_from_vertical,
    signed_angle_2d,
    signed_tilt_from_horizontal,
)
from flowlogic.geometry.body import leg_length, torso_length
from flowlogic.geometry.segmentation import hold_segments, hysteresis_segments
from flowlogic.geometry.smoothing import fill_short_gaps, moving_median, one_euro
from flowlogic.pose.track import PoseTrack
from flowlogic.quality.gates import QualityReport, run_quality_checks
from flowlogic.scoring.registry import scorer_for
from flowlogic.scoring.result import TestResult
from tests.conftest import SAMPLE, load_track

TRACK_BUDGET = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GEOMETRY_BUDGET = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SCORED = [spec for spec in load_catalog() if scorer_for(spec) is not None]
DAMAGE = (
    "no_pose_frames",
    "lost_landmarks",
    "all_invisible",
    "huge",
    "infinite",
    "collapsed",
    "noise",
    "lying_down",
    "lying_down_other_way",
    "upside_down",
    "shaking",
    "random_landmarks",
    "frozen",
    "negative_visibility",
    "no_world",
)


@functools.cache
def sample_track() -> PoseTrack:
    return load_track(SAMPLE)


def damage(image: np.ndarray, world: np.ndarray, how: str, rng: np.random.Generator) -> None:
    """Damage the landmarks in place, `how` as listed in DAMAGE."""
    frames = len(image)
    some = rng.random(frames) < rng.random()
    if how == "no_pose_frames":
        image[some], world[some] = np.nan, np.nan
        image[some, :, 3] = 0.0
    elif how == "lost_landmarks":
        image[rng.random((frames, 33)) < rng.random(), :3] = np.nan
    elif how == "all_invisible":
        image[some, :, 3] = 0.0
    elif how == "huge":
        image[some, :, :2] *= rng.choice([1e6, -1e6, 1e12])
        world[some] *= 1e9
    elif how == "infinite":
        image[some, :, 0] = np.inf
        world[some, :, 1] = -np.inf
    elif how == "collapsed":
        image[some, :, :3] = 0.0
    elif how == "noise":
        image[:, :, :3] += rng.normal(0.0, rng.choice([0.01, 0.3, 5.0]), image[:, :, :3].shape)
    elif how in ("lying_down", "lying_down_other_way"):
        x, y = image[:, :, 0].copy(), image[:, :, 1].copy()
        image[:, :, 0], image[:, :, 1] = (y, 1 - x) if how == "lying_down" else (1 - y, x)
    elif how == "upside_down":
        image[:, :, 1] = 1 - image[:, :, 1]
    elif how == "shaking":
        wave = np.sin(np.arange(frames) * rng.random() * 3) * rng.random() * 0.3
        image[:, :, :2] += wave[:, None, None]
    elif how == "random_landmarks":
        image[some] = rng.uniform(-0.5, 1.5, (int(some.sum()), 33, 4))
        world[some] = rng.normal(0.0, 0.5, (int(some.sum()), 33, 3))
    elif how == "frozen":
        image[:] = image[:1]
    elif how == "negative_visibility":
        image[some, :, 3] = -rng.random()
    elif how == "no_world":
        world[:] = np.nan


@st.composite
def damaged_tracks(draw) -> PoseTrack:
    base = sample_track()
    length = draw(st.sampled_from([base.frames, 0, 1, 2, 3, 10, 40]))
    start = draw(st.integers(0, base.frames // 2))
    keep = np.arange(start, min(base.frames, start + length))
    frames = len(keep)
    image = base.image[keep].astype(np.float64)
    world = base.world[keep].astype(np.float64)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    with np.errstate(all="ignore"):
        for how in draw(st.lists(st.sampled_from(DAMAGE), max_size=4)):
            if frames:
                damage(image, world, how, rng)
    fps = draw(st.sampled_from([base.fps, 1.0, 30.0, 60.0, 240.0]))
    times = np.arange(frames) / fps
    if frames > 2 and draw(st.booleans()):  # uneven (variable frame rate), possibly repeated
        times = np.sort(rng.random(frames)) * frames / fps
    if draw(st.booleans()):
        brightness = base.brightness[keep]
    else:
        level = draw(st.sampled_from([0.0, 128.0, 255.0, math.nan]))
        brightness = np.full(frames, level, np.float32)
    faces = base.faces[keep] if draw(st.booleans()) else rng.integers(-1, 3, frames)
    width, height = draw(
        st.sampled_from(
            [(base.frame_width, base.frame_height), (32, 32), (1, 1), (7680, 4320), (1920, 1080)]
        )
    )
    face = None
    if draw(st.booleans()):  # Face Mesh points (the neck tests)
        face = rng.random((frames, 468, 3)).astype(np.float32)
        if draw(st.booleans()):
            face[rng.random(frames) < 0.5] = np.nan
    with np.errstate(all="ignore"):
        track = replace(
            base,
            timestamps_s=times,
            image=image.astype(np.float32),
            world=world.astype(np.float32),
            brightness=brightness.astype(np.float32),
            faces=faces.astype(np.int8),
            frame_width=width,
            frame_height=height,
            fps=fps,
            source_fps=fps,
            source_frames=frames,
            face=face,
        )
    return track.mirrored() if draw(st.booleans()) else track


def assert_valid_json(document: dict) -> None:
    json.dumps(document, allow_nan=False)  # raises ValueError on NaN or infinity


def assert_sound_result(result: TestResult, spec: Spec) -> None:
    assert isinstance(result, TestResult)
    assert 0 <= result.score <= 100
    assert result.bucket in spec.native_buckets
    assert result.normalized in ("pass", "limited", "significant")
    assert math.isfinite(result.confidence) and 0.0 <= result.confidence <= 1.0
    assert_valid_json(result.to_dict())


@pytest.mark.parametrize("spec", SCORED, ids=lambda spec: spec.slug)
def test_gates_judgement_and_scorer_survive_damaged_tracks(spec: Spec):
    scorer = scorer_for(spec)

    @TRACK_BUDGET
    @given(track=damaged_tracks(), view=st.sampled_from([*spec.views, None]))
    def check(track: PoseTrack, view: str | None) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy on all-NaN input
            report = run_quality_checks(track, spec, view or spec.views[0])
            judged = judge_track(track, spec, view)
            try:
                alone = scorer(track, spec, view or spec.views[0])
            except MovementNotFound as missing:
                assert missing.message and "\n" not in missing.message
                alone = None
        assert isinstance(report, QualityReport)
        assert_valid_json(report.to_dict())
        assert_valid_json(judged.quality.to_dict())
        assert judged.view in spec.views
        if judged.result is None:
            assert judged.quality.failed_codes  # an invalid judgement says why
        else:
            assert judged.quality.passed
            assert_sound_result(judged.result, spec)
        if alone is not None:
            assert_sound_result(alone, spec)

    check()


# --- geometry primitives ------------------------------------------------------------------

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)
LANDMARK_FLOAT = st.one_of(
    st.floats(-2.0, 2.0), st.floats(-1e12, 1e12), st.just(math.nan), st.just(math.inf)
)


def points(count: int):
    return arrays(np.float64, (count, 2), elements=LANDMARK_FLOAT)


@GEOMETRY_BUDGET
@given(a=points(8), b=points(8), c=points(8))
def test_angles_stay_in_range_or_nan(a, b, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ranges = [
            (angle_at(a, b, c), 0.0, 180.0),
            (inclination_from_vertical(a, b), 0.0, 180.0),
            (signed_tilt_from_horizontal(a, b), -90.0, 90.0),
            (signed_angle_2d(a - b, c - b), -180.0, 180.0),
            (bend_above_line_deg(a, b, c), -180.0, 180.0),
        ]
    for values, low, high in ranges:
        assert values.shape == (8,)
        shown = values[~np.isnan(values)]
        assert np.all((shown >= low) & (shown <= high))


@GEOMETRY_BUDGET
@given(
    signal=arrays(np.float64, st.tuples(st.integers(0, 60), st.integers(1, 3)), elements=ANY_FLOAT),
    step=st.floats(0.0, 1.0),
    max_gap=st.integers(1, 10),
    window=st.integers(1, 90),
)
def test_filters_keep_the_shape_and_the_known_samples(signal, step, max_gap, window):
    times = np.arange(len(signal)) * step  # a step of 0 repeats timestamps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        smoothed = one_euro(signal, times)
        filled = fill_short_gaps(signal, max_gap)
        medians = moving_median(signal[:, 0], window)
    assert smoothed.shape == signal.shape and filled.shape == signal.shape
    assert medians.shape == signal[:, 0].shape
    known = ~np.isnan(signal)
    assert np.array_equal(filled[known], signal[known])  # only gaps are filled
    assert np.all(np.isnan(smoothed[~known]))  # a missing sample stays missing


@GEOMETRY_BUDGET
@given(
    signal=arrays(np.float64, st.integers(0, 80), elements=ANY_FLOAT),
    enter=st.floats(-10, 10),
    below=st.floats(0, 5),
    min_duration=st.floats(0, 3),
    grace=st.floats(0, 2),
)
def test_segments_stay_inside_the_signal(signal, enter, below, min_duration, grace):
    times = np.arange(len(signal)) / 30.0
    for segments in (
        hysteresis_segments(
            signal, times, enter=enter, exit=enter - below, min_duration_s=min_duration
        ),
        hold_segments(signal > enter, times, grace_s=grace, min_duration_s=min_duration),
    ):
        ends = [(s.start, s.end) for s in segments]
        assert all(0 <= start < end <= len(signal) for start, end in ends)
        assert all(a[1] <= b[0] + 1 for a, b in itertools.pairwise(ends))
        assert all(s.duration_s >= min_duration for s in segments)


@GEOMETRY_BUDGET
@given(
    xy=arrays(
        np.float64, st.tuples(st.integers(0, 20), st.just(33), st.just(2)), elements=LANDMARK_FLOAT
    )
)
def test_body_measures_are_a_number_or_nan(xy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sizes = [torso_length(xy), leg_length(xy), leg_length(xy, "left")]
    for size in sizes:
        assert isinstance(size, float)
        assert math.isnan(size) or size >= 0
