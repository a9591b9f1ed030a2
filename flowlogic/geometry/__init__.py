"""Shared geometry for scorers and quality gates: angles, smoothing, body-size
normalisation, visibility gating and rep/hold segmentation. Pure numpy, no I/O."""
