"""The core stands without its user interfaces, and the dependency set is what we promise."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

CORE_MODULES = [
    "flowlogic",
    "flowlogic.assess",
    "flowlogic.catalog",
    "flowlogic.capture.probe",
    "flowlogic.capture.sources",
    "flowlogic.pose.pipeline",
    "flowlogic.quality.gates",
    "flowlogic.scoring.registry",
    "flowlogic.scoring.overhead_squat",
    "flowlogic.store.db",
    "flowlogic.tiers",
]


def test_core_imports_without_typer_or_textual():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE_MODULES)
        # (click itself is allowed: sqlite-utils imports it for its own CLI)
        + "bad = [m for m in ('typer', 'textual') if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported UI packages: {out.stdout.strip()}"


def test_installed_import_names_are_namespaced():
    import flowlogic.cli
    import flowlogic.tui

    assert flowlogic.cli.__name__ == "flowlogic.cli"
    assert flowlogic.tui.__name__ == "flowlogic.tui"
    for bare in ("cli", "tui"):
        try:
            __import__(bare)
        except ImportError:
            continue
        raise AssertionError(f"a bare '{bare}' package is importable")


def test_mediapipe_pinned_and_no_second_opencv():
    assert version("mediapipe") == "0.10.21"
    assert int(version("numpy").split(".")[0]) < 2
    try:
        version("opencv-python")
    except PackageNotFoundError:
        pass
    else:
        raise AssertionError("opencv-python is installed beside opencv-contrib-python")


def test_bundled_full_pose_model_present():
    import mediapipe

    from flowlogic.pose.backend import MediaPipePoseBackend

    root = mediapipe.__path__[0]
    import os

    assert os.path.exists(os.path.join(root, "modules/pose_landmark/pose_landmark_full.tflite"))
    backend = MediaPipePoseBackend()
    try:
        assert "blazepose-full" in backend.model_id
    finally:
        backend.close()
