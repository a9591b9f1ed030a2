"""Shared geometry: angles, smoothing, segmentation with hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from flowlogic.geometry.angles import (
    angle_at,
    inclination_from_vertical,
    signed_tilt_from_horizontal,
)
from flowlogic.geometry.segmentation import hold_segments, hysteresis_segments
from flowlogic.geometry.smoothing import fill_short_gaps, one_euro


def test_angle_at_right_angle_and_straight_line():
    assert angle_at([1, 0], [0, 0], [0, 1]) == pytest.approx(90)
    assert angle_at([-1, 0], [0, 0], [1, 0]) == pytest.approx(180)
    assert np.isnan(angle_at([np.nan, 0], [0, 0], [1, 0]))


def test_inclination_uses_image_up():
    # image y grows downwards: top above bottom is vertical
    assert inclination_from_vertical([0, 0], [0, 10]) == pytest.approx(0)
    assert inclination_from_vertical([10, 0], [0, 10]) == pytest.approx(45)


def test_tilt_is_direction_agnostic():
    assert signed_tilt_from_horizontal([0, 0], [10, -10]) == pytest.approx(45)
    assert signed_tilt_from_horizontal([10, -10], [0, 0]) == pytest.approx(45)


def test_one_euro_smooths_noise_and_restarts_after_gaps():
    t = np.arange(200) / 30
    rng = np.random.default_rng(0)
    clean = np.sin(t)
    noisy = clean + rng.normal(0, 0.05, t.size)
    noisy[100:105] = np.nan
    smooth = one_euro(noisy, t, min_cutoff_hz=1.0, beta=0.5)
    assert np.isnan(smooth[100:105]).all()
    ok = ~np.isnan(smooth)
    # far less frame-to-frame jitter, while staying close to the true movement
    assert np.nanstd(np.diff(smooth[:100])) < 0.5 * np.nanstd(np.diff(noisy[:100]))
    assert np.abs(smooth[ok] - clean[ok]).mean() < 0.1


def test_fill_short_gaps_only():
    signal = np.array([0, 1, np.nan, 3, np.nan, np.nan, np.nan, 7.0])
    filled = fill_short_gaps(signal, max_gap=1)
    assert filled[2] == pytest.approx(2)
    assert np.isnan(filled[4:7]).all()


def _t(n):
    return np.arange(n) / 10.0


def test_hysteresis_counts_complete_reps_and_ignores_jitter():
    # rest, rep, jitter around the enter threshold (no rep), rep, rest
    signal = np.array(
        [0, 0, 0.3, 0.5, 0.3, 0, 0, 0.18, 0.21, 0.19, 0.22, 0.18, 0, 0.4, 0.5, 0.1, 0]
    )
    reps = hysteresis_segments(signal, _t(signal.size), enter=0.25, exit=0.05)
    assert len(reps) == 2 and not any(r.partial for r in reps)


def test_hysteresis_marks_reps_cut_by_the_clip_as_partial():
    starts_deep = np.array([0.5, 0.4, 0.2, 0, 0, 0.3, 0.5, 0.2, 0])
    reps = hysteresis_segments(starts_deep, _t(9), enter=0.25, exit=0.05)
    assert [r.partial for r in reps] == [True, False]
    ends_deep = np.array([0, 0.3, 0.5, 0, 0, 0.3, 0.5])
    reps = hysteresis_segments(ends_deep, _t(7), enter=0.25, exit=0.05)
    assert [r.partial for r in reps] == [False, True]


def test_hysteresis_nearly_standing_at_the_edges_counts_as_rest():
    signal = np.array([0.07, 0.07, 0.3, 0.5, 0.3, 0.1, 0.07])  # never below exit, but below enter
    reps = hysteresis_segments(signal, _t(7), enter=0.25, exit=0.05)
    assert len(reps) == 1 and not reps[0].partial


def test_hold_segments_bridge_short_breaks_only():
    mask = np.array([1] * 20 + [0] * 3 + [1] * 20 + [0] * 10 + [1] * 5, dtype=bool)
    holds = hold_segments(mask, _t(mask.size), grace_s=0.5)
    assert len(holds) == 2
    assert holds[0].duration_s == pytest.approx(4.3, abs=0.11)
