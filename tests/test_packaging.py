"""The core stands without its user interfaces, and the dependency set is what we promise."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version

from tests.conftest import ROOT

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
    """Outside the repository (isolated mode, another folder) only flowlogic.* imports."""
    code = (
        "import importlib.util, json\n"
        "names = ['flowlogic.cli', 'flowlogic.tui', 'flowlogic.data', 'cli', 'tui', 'data']\n"
        "print(json.dumps({n: importlib.util.find_spec(n) is not None for n in names}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    found = json.loads(out.stdout)
    assert found == {
        "flowlogic.cli": True,
        "flowlogic.tui": True,
        "flowlogic.data": True,
        "cli": False,
        "tui": False,
        "data": False,
    }


def test_wheel_ships_every_package_and_the_data_and_nothing_bare(tmp_path):
    """Build the wheel offline and look inside: every package with an __init__.py on disk
    is in it under flowlogic/, with the catalog, samples and TUI styles."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("flowlogic-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "flowlogic",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    mapping = {
        "flowlogic": "flowlogic",
        "cli": "flowlogic/cli",
        "tui": "flowlogic/tui",
        "data": "flowlogic/data",
    }
    for top, installed in mapping.items():
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.relative_to(ROOT / top).as_posix()
            assert f"{installed}/{relative}" in names, f"{installed}/{relative} not shipped"
    for needed in (
        "flowlogic/data/tests/04-overhead-squat.toml",
        "flowlogic/data/samples/pose_squats.mp4",
        "flowlogic/data/quality.toml",
    ):
        assert needed in names
    if list((ROOT / "tui").rglob("*.tcss")):
        assert any(n.startswith("flowlogic/tui/") and n.endswith(".tcss") for n in names)


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
