"""The exercise library: content coverage and validation on load (PRODUCT.md §7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flowlogic import paths
from flowlogic.errors import NotFound
from flowlogic.exercises import (
    EQUIPMENT,
    PHASES,
    LibraryError,
    categories,
    find_exercise,
    for_area,
    load_library,
)
from flowlogic.interpret import load_rules

# PRODUCT.md §7: the library covers these target areas.
REQUIRED_TARGETS = {
    "ankle_mobility",
    "calf_flexibility",
    "glute_activation",
    "hip_mobility",
    "hip_flexor_length",
    "core_stability",
    "thoracic_mobility",
    "scapular_control",
    "shoulder_mobility",
    "neck_control",
    "balance",
}


def test_library_size_and_target_coverage():
    library = load_library()
    assert len(library) >= 40
    assert {c.key for c in categories()} == REQUIRED_TARGETS
    for target in REQUIRED_TARGETS:
        primary = [e for e in library if e.category == target]
        assert len(primary) >= 3, f"only {len(primary)} exercises for {target}"


def test_every_problem_area_has_exercises_in_every_phase():
    library = load_library()
    for area in load_rules().areas:
        phases = {e.phase for e in library if area in e.areas}
        assert phases == set(PHASES), f"{area} lacks {set(PHASES) - phases}"


def test_each_exercise_is_complete_and_followable():
    for e in load_library():
        assert len(e.instructions) >= 3 and e.cues and e.mistakes
        assert set(e.equipment) <= set(EQUIPMENT)
        assert [lv.level for lv in e.levels] == [1, 2, 3]
        # the levels get harder: more total work or longer time, never less of both
        work = [lv.sets * (lv.reps or lv.hold_s or 0) for lv in e.levels]
        minutes = [lv.minutes for lv in e.levels]
        notes = [lv.note for lv in e.levels]
        assert all(notes), e.id
        for easier, harder in zip(range(2), range(1, 3), strict=True):
            assert work[harder] >= work[easier] or minutes[harder] > minutes[easier], (
                f"{e.id}: level {harder + 1} is not harder"
            )


def test_dosage_reads_like_an_instruction():
    clamshell = find_exercise("clamshell")
    assert clamshell.dosage(1) == "2 × 10 each side"
    plank = find_exercise("forearm-plank")
    assert plank.dosage(2) == "3 × 30 s"
    assert plank.dosage(9) == plank.dosage(3)  # levels are clamped
    assert plank.to_dict()["levels"][0]["dosage"] == "3 × 20 s"


def test_lookup_by_area_accepts_targets_and_problem_areas():
    assert find_exercise("knee-to-wall-rocks") in for_area("calf_flexibility")
    assert find_exercise("knee-to-wall-rocks") in for_area("knee_valgus")
    assert for_area("elbows") == ()
    with pytest.raises(NotFound):
        find_exercise("handstand-walk")


def test_texts_are_wellness_wording():
    banned = ("diagnos", "cure", "treat", "injur", "therapy")
    for e in load_library():
        text = " ".join((*e.instructions, *e.cues, *e.mistakes, *(lv.note for lv in e.levels)))
        lowered = text.lower()
        assert not [word for word in banned if word in lowered], e.id


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "exercises"
    shutil.copytree(paths.data_dir() / "exercises", folder)
    return folder


def _edit(folder: Path, name: str, old: str, new: str, count: int = 1) -> None:
    file = folder / name
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("balance.toml", 'id = "star-reach"', 'id = "short-foot"', "duplicate exercise id"),
        ("balance.toml", '"hip_control"]', '"hip_strength"]', "unknown problem areas"),
        ("balance.toml", 'targets = ["balance"]', 'targets = ["balance", "wrists"]', "unknown"),
        (
            "balance.toml",
            '  { level = 3, sets = 3, hold_s = 30, minutes = 4, note = "Eyes closed, next to the '
            'chair for safety." },\n',
            "",
            "three levels",
        ),
        ("balance.toml", "sets = 2, reps = 4,", "reps = 4,", "without sets"),
        ("balance.toml", 'equipment = ["chair"]', 'equipment = ["bosu"]', "unknown equipment"),
        ("balance.toml", '"y-balance:touch_down"', '"y-balance:wobble"', "unknown test flags"),
        ("balance.toml", 'phase = "function"', 'phase = "warm-up"', "unknown phase"),
        ("balance.toml", "sets = 3, hold_s = 20,", "sets = 3, hold_s = 20, reps = 4,", "either"),
    ],
)
def test_library_is_validated_on_load(library_copy, name, old, new, message):
    assert len(load_library(library_copy)) == len(load_library())  # the copy loads as is
    _edit(library_copy, name, old, new)
    with pytest.raises(LibraryError, match=message):
        load_library(library_copy)
