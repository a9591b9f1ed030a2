"""Scoring: one pure module per test (`PoseTrack` in, `TestResult` out)."""
