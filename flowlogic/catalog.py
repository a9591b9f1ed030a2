"""The test catalog: the 15 movement tests as declared in `data/tests/*.toml`.

Thresholds, protocols and copy live in the data files (with their sources); this module
only loads and validates them and answers lookups by id or slug.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flowlogic import paths
from flowlogic.errors import UsageError
from flowlogic.pose.landmarks import BODY_PARTS

VIEWS = ("front", "side")
FRAMINGS = ("full", "upper")
POSITIONS = ("standing", "seated", "floor", "supine", "prone", "quadruped", "side-lying")
KINDS = ("movement", "hold")
TIERS = ("free", "basic", "pro", "proplus")
TIER_NAMES = {"free": "Free", "basic": "Basic", "pro": "Pro", "proplus": "Pro+"}


@dataclass(frozen=True)
class Threshold:
    value: Any
    unit: str
    source: str


@dataclass(frozen=True)
class FlagText:
    words: str  # the flag in plain words ("Knees move inward")
    meaning: str  # what it means for the person
    advice: str = ""


@dataclass(frozen=True)
class TestSpec:
    id: int
    slug: str
    name: str
    unlocked_from: str
    views: tuple[str, ...]  # allowed views, preferred first
    framing: str
    position: str
    kind: str
    duration_limit_s: float
    min_reps: int
    protocol_reps: int
    equipment: tuple[str, ...]
    summary: str
    setup: tuple[str, ...]
    instructions: tuple[str, ...]
    required_parts: dict[str, tuple[str, ...]]  # view -> body-part groups
    native_buckets: tuple[str, ...]
    scorer: str
    face_mesh: bool
    thresholds: dict[str, Threshold]
    flags: dict[str, FlagText]
    quality: dict[str, Any] = field(default_factory=dict)
    score_rule: str = ""

    def threshold(self, name: str) -> Any:
        try:
            return self.thresholds[name].value
        except KeyError:
            raise KeyError(f"test {self.slug} declares no threshold {name!r}") from None

    def required_for(self, view: str) -> tuple[str, ...]:
        return self.required_parts.get(view) or self.required_parts["any"]

    @property
    def is_hold(self) -> bool:
        return self.kind == "hold"

    @property
    def view_label(self) -> str:
        return " or ".join(self.views)


def _spec_from_toml(raw: dict[str, Any], origin: str) -> TestSpec:
    def need(key: str) -> Any:
        if key not in raw:
            raise ValueError(f"{origin}: missing '{key}'")
        return raw[key]

    views = tuple(need("views"))
    if not views or any(v not in VIEWS for v in views):
        raise ValueError(f"{origin}: views must be drawn from {VIEWS}")
    required = {k: tuple(v) for k, v in need("required_landmarks").items()}
    for parts in required.values():
        unknown = [p for p in parts if p not in BODY_PARTS]
        if unknown:
            raise ValueError(f"{origin}: unknown body parts {unknown}")
    if "any" not in required and any(v not in required for v in views):
        raise ValueError(f"{origin}: required_landmarks needs 'any' or one entry per view")
    thresholds = {}
    for name, entry in raw.get("thresholds", {}).items():
        if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
            raise ValueError(f"{origin}: threshold {name} needs a value and a source")
        thresholds[name] = Threshold(entry["value"], entry.get("unit", ""), entry["source"])
    flags = {
        code: FlagText(entry["words"], entry["meaning"], entry.get("advice", ""))
        for code, entry in raw.get("flags", {}).items()
    }
    spec = TestSpec(
        id=int(need("id")),
        slug=str(need("slug")),
        name=str(need("name")),
        unlocked_from=str(need("unlocked_from")),
        views=views,
        framing=str(need("framing")),
        position=str(need("position")),
        kind=str(need("kind")),
        duration_limit_s=float(raw.get("duration_limit_s", 45)),
        min_reps=int(raw.get("min_reps", 1)),
        protocol_reps=int(raw.get("protocol_reps", 1)),
        equipment=tuple(raw.get("equipment", ["none"])),
        summary=str(need("summary")),
        setup=tuple(raw.get("setup", [])),
        instructions=tuple(need("instructions")),
        required_parts=required,
        native_buckets=tuple(need("native_buckets")),
        scorer=str(raw.get("scorer", "")),
        face_mesh=bool(raw.get("face_mesh", False)),
        thresholds=thresholds,
        flags=flags,
        quality=dict(raw.get("quality", {})),
        score_rule=str(raw.get("score_rule", "")),
    )
    checks = {
        "framing": (spec.framing, FRAMINGS),
        "position": (spec.position, POSITIONS),
        "kind": (spec.kind, KINDS),
        "unlocked_from": (spec.unlocked_from, TIERS),
    }
    for key, (value, allowed) in checks.items():
        if value not in allowed:
            raise ValueError(f"{origin}: {key} must be one of {allowed}, not {value!r}")
    return spec


@cache
def load_catalog() -> tuple[TestSpec, ...]:
    folder = paths.data_dir() / "tests"
    specs = []
    for file in sorted(folder.glob("*.toml")):
        with open(file, "rb") as handle:
            specs.append(_spec_from_toml(tomllib.load(handle), file.name))
    ids = [s.id for s in specs]
    slugs = [s.slug for s in specs]
    if len(set(ids)) != len(ids) or len(set(slugs)) != len(slugs):
        raise ValueError("duplicate test id or slug in data/tests")
    return tuple(sorted(specs, key=lambda s: s.id))


def find_test(id_or_slug: str | int) -> TestSpec:
    """A test by id ("4") or slug ("overhead-squat"); a clear usage error otherwise."""
    key = str(id_or_slug).strip().lower()
    for spec in load_catalog():
        if key == str(spec.id) or key == spec.slug:
            return spec
    slugs = [s.slug for s in load_catalog()]
    close = difflib.get_close_matches(key, slugs, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else " See `flowlogic tests` for the list."
    raise UsageError(f"Unknown test {str(id_or_slug)!r}.{hint}")


@cache
def load_data_toml(name: str) -> dict[str, Any]:
    with open(paths.data_dir() / name, "rb") as handle:
        return tomllib.load(handle)
