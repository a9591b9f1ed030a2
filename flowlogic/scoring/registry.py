"""Test id -> scorer. Each scorer is a module `flowlogic.scoring.<name>` with
`score(track, spec, view) -> TestResult`; the name comes from the test's data file."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from flowlogic.catalog import TestSpec
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.result import TestResult

Scorer = Callable[[PoseTrack, TestSpec, str], TestResult]


def has_scorer(spec: TestSpec) -> bool:
    return bool(spec.scorer)


def scorer_for(spec: TestSpec) -> Scorer | None:
    if not spec.scorer:
        return None
    module = importlib.import_module(f"flowlogic.scoring.{spec.scorer}")
    return module.score
