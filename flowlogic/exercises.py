"""The exercise library (PRODUCT.md §7): `data/exercises/*.toml`, validated on load.

One file per target area; the fields are described in `data/exercises/README.md`.
Unknown areas, targets, equipment, phases or flags, missing or malformed levels and
duplicate ids are errors, so a typo never silently drops an exercise from a plan.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flowlogic import paths
from flowlogic.catalog import load_catalog
from flowlogic.errors import NotFound
from flowlogic.interpret import load_rules

EQUIPMENT = ("none", "wall", "mat", "band", "chair")
PHASES = ("local", "integration", "function")
POSITIONS = (
    "standing",
    "seated",
    "floor",
    "kneeling",
    "quadruped",
    "supine",
    "prone",
    "side-lying",
)
LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Level:
    level: int
    sets: int
    reps: int | None
    hold_s: int | None
    minutes: float
    note: str

    def dosage(self, per_side: bool) -> str:
        """'2 × 10 each side' or '3 × 30 s'."""
        amount = f"{self.reps}" if self.reps is not None else f"{self.hold_s} s"
        side = " each side" if per_side else ""
        return f"{self.sets} × {amount}{side}"

    def to_dict(self, per_side: bool) -> dict[str, Any]:
        return {**asdict(self), "dosage": self.dosage(per_side)}


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    category: str
    targets: tuple[str, ...]
    equipment: tuple[str, ...]
    position: str
    phase: str
    per_side: bool
    areas: tuple[str, ...]  # problem-area keys (data/interpretation.toml)
    flags: tuple[str, ...]  # "test-slug:flag_code"
    instructions: tuple[str, ...]
    cues: tuple[str, ...]
    mistakes: tuple[str, ...]
    levels: tuple[Level, Level, Level]

    def level(self, number: int) -> Level:
        return self.levels[min(max(number, 1), 3) - 1]

    def dosage(self, level: int) -> str:
        return self.level(level).dosage(self.per_side)

    def minutes(self, level: int) -> float:
        return self.level(level).minutes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("targets", "equipment", "areas", "flags", "instructions", "cues", "mistakes"):
            data[key] = list(data[key])
        data["levels"] = [lv.to_dict(self.per_side) for lv in self.levels]
        return data


class LibraryError(ValueError):
    """The exercise data is inconsistent (raised on load)."""


def _known_flags() -> set[str]:
    return {f"{spec.slug}:{code}" for spec in load_catalog() for code in spec.flags}


def _level(raw: dict[str, Any], origin: str) -> Level:
    extra = set(raw) - {"level", "sets", "reps", "hold_s", "minutes", "note"}
    if extra:
        raise LibraryError(f"{origin}: unknown level keys {sorted(extra)}")
    has_reps, has_hold = "reps" in raw, "hold_s" in raw
    if has_reps == has_hold:
        raise LibraryError(f"{origin}: a level needs either reps or hold_s")
    for key in ("level", "sets", "minutes"):
        if key not in raw:
            raise LibraryError(f"{origin}: level without {key}")
    if raw["sets"] < 1 or raw["minutes"] <= 0 or raw.get("reps", 1) < 1 or raw.get("hold_s", 1) < 1:
        raise LibraryError(f"{origin}: sets, reps, hold_s and minutes must be positive")
    return Level(
        int(raw["level"]),
        int(raw["sets"]),
        int(raw["reps"]) if has_reps else None,
        int(raw["hold_s"]) if has_hold else None,
        float(raw["minutes"]),
        str(raw.get("note", "")),
    )


REQUIRED = (
    "id",
    "name",
    "targets",
    "equipment",
    "position",
    "phase",
    "areas",
    "flags",
    "instructions",
    "cues",
    "mistakes",
    "levels",
)


def _exercise(
    raw: dict[str, Any], category: str, targets: set[str], flags: set[str], origin: str
) -> Exercise:
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise LibraryError(f"{origin}: missing {missing}")
    origin = f"{origin} ({raw['id']})"
    areas = load_rules().areas

    def check(values: list[str], allowed: set[str] | tuple[str, ...], what: str) -> tuple:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise LibraryError(f"{origin}: unknown {what} {unknown}")
        return tuple(values)

    exercise_targets = check(raw["targets"], targets, "target areas")
    if not exercise_targets or exercise_targets[0] != category:
        raise LibraryError(f"{origin}: the first target must be the file's category {category}")
    levels = tuple(_level(lv, origin) for lv in raw["levels"])
    if tuple(lv.level for lv in levels) != LEVELS:
        raise LibraryError(f"{origin}: needs exactly three levels numbered 1, 2, 3")
    if raw["phase"] not in PHASES:
        raise LibraryError(f"{origin}: unknown phase {raw['phase']!r}")
    if raw["position"] not in POSITIONS:
        raise LibraryError(f"{origin}: unknown position {raw['position']!r}")
    for key in ("instructions", "cues", "mistakes"):
        if not raw[key] or not all(isinstance(t, str) and t.strip() for t in raw[key]):
            raise LibraryError(f"{origin}: {key} must be a list of sentences")
    if not raw["areas"]:
        raise LibraryError(f"{origin}: addresses no problem area")
    return Exercise(
        id=str(raw["id"]),
        name=str(raw["name"]),
        category=category,
        targets=exercise_targets,
        equipment=check(raw["equipment"], EQUIPMENT, "equipment"),
        position=str(raw["position"]),
        phase=str(raw["phase"]),
        per_side=bool(raw.get("per_side", False)),
        areas=check(raw["areas"], set(areas), "problem areas"),
        flags=check(raw["flags"], flags, "test flags"),
        instructions=tuple(raw["instructions"]),
        cues=tuple(raw["cues"]),
        mistakes=tuple(raw["mistakes"]),
        levels=levels,  # type: ignore[arg-type]
    )


def parse_library(folder: Path) -> tuple[tuple[Category, ...], tuple[Exercise, ...]]:
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise LibraryError(f"no exercise files in {folder}")
    raws = []
    for file in files:
        with open(file, "rb") as handle:
            raws.append((file.name, tomllib.load(handle)))
    categories = []
    for name, raw in raws:
        if "category" not in raw:
            raise LibraryError(f"{name}: missing [category]")
        cat = raw["category"]
        categories.append(Category(cat["key"], cat["name"], cat.get("description", "")))
    keys = [c.key for c in categories]
    if len(set(keys)) != len(keys):
        raise LibraryError("two exercise files declare the same category")
    flags = _known_flags()
    exercises: list[Exercise] = []
    seen: set[str] = set()
    for (name, raw), category in zip(raws, categories, strict=True):
        for entry in raw.get("exercise", []):
            exercise = _exercise(entry, category.key, set(keys), flags, name)
            if exercise.id in seen:
                raise LibraryError(f"{name}: duplicate exercise id {exercise.id!r}")
            seen.add(exercise.id)
            exercises.append(exercise)
    return tuple(categories), tuple(exercises)


@cache
def _default() -> tuple[tuple[Category, ...], tuple[Exercise, ...]]:
    return parse_library(paths.data_dir() / "exercises")


def load_library(folder: Path | None = None) -> tuple[Exercise, ...]:
    """Every exercise, in file order (files sorted by name)."""
    return parse_library(folder)[1] if folder else _default()[1]


def categories() -> tuple[Category, ...]:
    """The target areas (one per library file)."""
    return _default()[0]


def find_exercise(exercise_id: str) -> Exercise:
    for exercise in load_library():
        if exercise.id == exercise_id:
            return exercise
    raise NotFound(f"No exercise '{exercise_id}'. See `flowlogic exercises`.")


def for_area(area: str) -> tuple[Exercise, ...]:
    """Exercises that train a target area or address a problem area (either key)."""
    return tuple(e for e in load_library() if area in e.targets or area in e.areas)
