"""Smoothing landmark signals over time, gap-aware.

`one_euro` is the One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): strong smoothing
when a point is slow, little lag when it moves fast. Gaps (NaN) restart the filter.
"""

from __future__ import annotations

import numpy as np


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


def one_euro(
    signal: np.ndarray,
    timestamps_s: np.ndarray,
    *,
    min_cutoff_hz: float = 1.5,
    beta: float = 0.3,
    derivative_cutoff_hz: float = 1.0,
) -> np.ndarray:
    """Filter `signal` (T, ...) along time; every other axis is an independent channel,
    filtered together (one pass over time, vectorised across channels). NaN samples stay
    NaN and restart that channel's filter.

    Units of beta follow the signal's units per second; for pixel signals a beta near
    0.005-0.05 suits, for signals normalised by body size 0.3-3.
    """
    values = np.asarray(signal, dtype=np.float64)
    out = np.full_like(values, np.nan)
    if len(values) == 0:
        return out
    flat = values.reshape(len(values), -1)
    result = out.reshape(len(values), -1)
    channels = flat.shape[1]
    previous = np.full(channels, np.nan)
    derivative = np.zeros(channels)
    last_t = np.full(channels, np.nan)
    for i in range(len(flat)):
        x = flat[i]
        valid = ~np.isnan(x)
        fresh = valid & np.isnan(previous)  # first sample, or first after a gap
        going = valid & ~fresh
        if going.any():
            dt = np.maximum(timestamps_s[i] - last_t[going], 1e-3)
            raw = (x[going] - previous[going]) / dt
            a_d = _alpha(derivative_cutoff_hz, dt)
            derivative[going] = a_d * raw + (1 - a_d) * derivative[going]
            cutoff = min_cutoff_hz + beta * np.abs(derivative[going])
            a = _alpha(cutoff, dt)
            previous[going] = a * x[going] + (1 - a) * previous[going]
        previous[fresh] = x[fresh]
        derivative[fresh] = 0.0
        last_t[valid] = timestamps_s[i]
        previous[~valid] = np.nan
        result[i] = np.where(valid, previous, np.nan)
    return out


def fill_short_gaps(signal: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly interpolate NaN runs of at most `max_gap` samples (1-D or (T, ...))."""
    values = np.array(signal, dtype=np.float64, copy=True)
    if values.size == 0:  # no samples (an empty track): nothing to fill
        return values
    flat = values.reshape(len(values), -1)
    for column in range(flat.shape[1]):
        series = flat[:, column]
        missing = np.isnan(series)
        if not missing.any() or missing.all():
            continue
        index = np.arange(len(series))
        run_start = None
        for i in range(len(series) + 1):
            is_missing = i < len(series) and missing[i]
            if is_missing and run_start is None:
                run_start = i
            elif not is_missing and run_start is not None:
                run_end = i
                if run_start > 0 and run_end < len(series) and run_end - run_start <= max_gap:
                    series[run_start:run_end] = np.interp(
                        index[run_start:run_end],
                        [run_start - 1, run_end],
                        [series[run_start - 1], series[run_end]],
                    )
                run_start = None
    return values


def moving_median(signal: np.ndarray, window: int) -> np.ndarray:
    """Centred running median over `window` samples, ignoring NaN (1-D)."""
    values = np.asarray(signal, dtype=np.float64)
    if window <= 1 or len(values) == 0:
        return values.copy()
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    stacked = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return np.nanmedian(stacked, axis=-1)[: len(values)]
