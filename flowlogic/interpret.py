"""From results to problem areas (PRODUCT.md §5–6).

The rules are declarative (`data/interpretation.toml`, documented there); this module
loads and validates them, reads a profile's latest valid results and applies them.
Everything here is a pure function of the stored results and the day.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlite_utils

from flowlogic import clock
from flowlogic.catalog import find_test, load_catalog, load_data_toml
from flowlogic.scoring.result import SEVERITIES

PRIORITIES = ("P1", "P2")
BUCKET_RANK = {"pass": 0, "limited": 1, "significant": 2}
WINDOW_DAYS = 42


@dataclass(frozen=True)
class AreaSpec:
    key: str
    name: str
    priority: str
    tests: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class Condition:
    test: int
    normalized: tuple[str, ...] = ()
    flag: str | None = None
    min_severity: str = "mild"


@dataclass(frozen=True)
class Emit:
    area: str
    why: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    doc: str
    all: tuple[Condition, ...]
    any: tuple[Condition, ...]
    emit: tuple[Emit, ...]

    @property
    def specificity(self) -> int:
        return len(self.all) + (1 if self.any else 0)


@dataclass(frozen=True)
class Rules:
    window_days: int
    areas: dict[str, AreaSpec]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class ProblemArea:
    key: str
    name: str
    priority: str  # "P1" | "P2"
    why: str  # one sentence
    tests: tuple[int, ...]  # the tests behind it (evidence)
    flags: tuple[str, ...]  # "test-slug:flag_code" behind it
    rule: str  # ids of the rules that produced it, comma-separated
    confirmed: bool = True  # the evidence includes one of the area's own tests
    confirm_with: tuple[int, ...] = ()  # the area's own tests not taken yet
    worst: str = "limited"  # worst normalised bucket behind it

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = list(self.tests)
        data["flags"] = list(self.flags)
        data["confirm_with"] = list(self.confirm_with)
        return data


# --- Loading the rules ------------------------------------------------------------------


def _condition(raw: dict[str, Any], origin: str) -> Condition:
    known = {"test", "normalized", "flag", "min_severity"}
    extra = set(raw) - known
    if extra:
        raise ValueError(f"{origin}: unknown condition keys {sorted(extra)}")
    if "test" not in raw:
        raise ValueError(f"{origin}: a condition needs a test")
    spec = find_test(int(raw["test"]))
    normalized = tuple(raw.get("normalized", ()))
    unknown = [b for b in normalized if b not in BUCKET_RANK]
    if unknown:
        raise ValueError(f"{origin}: unknown normalised buckets {unknown}")
    flag = raw.get("flag")
    if flag is not None and flag not in spec.flags:
        raise ValueError(f"{origin}: test {spec.id} has no flag {flag!r}")
    severity = raw.get("min_severity", "mild")
    if severity not in SEVERITIES:
        raise ValueError(f"{origin}: unknown severity {severity!r}")
    if not normalized and flag is None:
        raise ValueError(f"{origin}: a condition needs normalized or flag")
    return Condition(spec.id, normalized, flag, severity)


def parse_rules(raw: dict[str, Any]) -> Rules:
    """Validate the interpretation data: unknown tests, flags, areas or priorities are
    errors, so a typo cannot silently switch a rule off."""
    areas: dict[str, AreaSpec] = {}
    test_ids = {s.id for s in load_catalog()}
    for key, entry in raw["areas"].items():
        if entry["priority"] not in PRIORITIES:
            raise ValueError(f"area {key}: priority must be P1 or P2")
        tests = tuple(int(t) for t in entry["tests"])
        if not set(tests) <= test_ids:
            raise ValueError(f"area {key}: unknown tests {sorted(set(tests) - test_ids)}")
        areas[key] = AreaSpec(key, entry["name"], entry["priority"], tests, entry["why"].strip())
    rules = []
    seen: set[str] = set()
    for entry in raw["rules"]:
        origin = f"rule {entry.get('id', '?')}"
        if entry["id"] in seen:
            raise ValueError(f"{origin}: duplicate rule id")
        seen.add(entry["id"])
        all_ = tuple(_condition(c, origin) for c in entry.get("all", ()))
        any_ = tuple(_condition(c, origin) for c in entry.get("any", ()))
        if not all_ and not any_:
            raise ValueError(f"{origin}: no conditions")
        emits = []
        for item in entry["emit"]:
            if item["area"] not in areas:
                raise ValueError(f"{origin}: unknown area {item['area']!r}")
            emits.append(Emit(item["area"], item.get("why")))
        rules.append(Rule(entry["id"], entry.get("doc", ""), all_, any_, tuple(emits)))
    window = raw["window_days"]["value"]
    return Rules(int(window), areas, tuple(rules))


@cache
def load_rules() -> Rules:
    return parse_rules(load_data_toml("interpretation.toml"))


def area_spec(key: str) -> AreaSpec:
    return load_rules().areas[key]


# --- Reading results --------------------------------------------------------------------


def latest_valid_results(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    today: date | None = None,
    within_days: int | None = WINDOW_DAYS,
) -> list[dict[str, Any]]:
    """The latest valid result of each test (taken on or before `today`, and within
    `within_days` of it unless that is None), ordered by test id."""
    today = today or clock.today()
    params: list[Any] = [profile_id, today.isoformat()]
    sql = (
        "SELECT a.id AS assessment_id, a.test_id, a.test_slug, a.view, a.created_at, "
        "a.local_date, r.bucket, r.normalized, r.score, r.confidence, r.side, r.result_json "
        "FROM assessments a JOIN results r ON r.assessment_id = a.id "
        "WHERE a.profile_id = ? AND a.status = 'valid' AND a.local_date <= ?"
    )
    if within_days is not None:
        sql += " AND a.local_date > ?"
        params.append((today - timedelta(days=within_days)).isoformat())
    sql += " ORDER BY a.test_id, a.created_at DESC, a.id DESC"
    latest: dict[int, dict[str, Any]] = {}
    for row in db.query(sql, params):
        if row["test_id"] in latest:
            continue
        result = json.loads(row["result_json"])
        latest[row["test_id"]] = {
            "assessment_id": row["assessment_id"],
            "test_id": row["test_id"],
            "test_slug": row["test_slug"],
            "test_name": find_test(row["test_id"]).name,
            "view": row["view"],
            "score": row["score"],
            "bucket": row["bucket"],
            "normalized": row["normalized"],
            "band": result.get("band"),
            "confidence": row["confidence"],
            "side": row["side"],
            "flags": result.get("flags", []),
            "metrics": result.get("metrics", {}),
            "created_at": row["created_at"],
            "local_date": row["local_date"],
        }
    return [latest[k] for k in sorted(latest)]


def overall_score(
    db: sqlite_utils.Database, profile_id: int, *, today: date | None = None
) -> int | None:
    """Mean of the latest valid score of each test taken in the last 6 weeks (§5)."""
    results = latest_valid_results(
        db, profile_id, today=today, within_days=load_rules().window_days
    )
    if not results:
        return None
    return round(sum(r["score"] for r in results) / len(results))


# --- Applying the rules -----------------------------------------------------------------


def _holds(cond: Condition, by_test: dict[int, dict[str, Any]]) -> tuple[bool, list[str]]:
    result = by_test.get(cond.test)
    if result is None:
        return False, []
    if cond.normalized and result["normalized"] not in cond.normalized:
        return False, []
    if cond.flag is None:
        return True, []
    floor = SEVERITIES.index(cond.min_severity)
    for flag in result["flags"]:
        if flag["code"] == cond.flag and SEVERITIES.index(flag["severity"]) >= floor:
            return True, [f"{result['test_slug']}:{cond.flag}"]
    return False, []


def _fire(rule: Rule, by_test: dict[int, dict[str, Any]]) -> tuple[set[int], set[str]] | None:
    """The tests and flags behind a rule when it fires, else None."""
    tests: set[int] = set()
    flags: set[str] = set()
    for cond in rule.all:
        ok, found = _holds(cond, by_test)
        if not ok:
            return None
        tests.add(cond.test)
        flags.update(found)
    if rule.any:
        matched = False
        for cond in rule.any:
            ok, found = _holds(cond, by_test)
            if ok:
                matched = True
                tests.add(cond.test)
                flags.update(found)
        if not matched:
            return None
    return tests, flags


def interpret(results: list[dict[str, Any]], rules: Rules | None = None) -> list[ProblemArea]:
    """Problem areas from a list of latest results (pure; see the data file's header)."""
    rules = rules or load_rules()
    by_test = {r["test_id"]: r for r in results}
    found: dict[str, dict[str, Any]] = {}
    for rule in rules.rules:
        fired = _fire(rule, by_test)
        if fired is None:
            continue
        tests, flags = fired
        for emit in rule.emit:
            entry = found.setdefault(
                emit.area, {"tests": set(), "flags": set(), "rules": [], "why": None, "spec": -1}
            )
            entry["tests"] |= tests
            entry["flags"] |= flags
            entry["rules"].append(rule.id)
            if emit.why and rule.specificity > entry["spec"]:
                entry["why"], entry["spec"] = emit.why.strip(), rule.specificity
    areas = []
    order = list(rules.areas)
    for key, entry in found.items():
        spec = rules.areas[key]
        own = [by_test[t] for t in spec.tests if t in by_test]
        confirmed = bool(entry["tests"] & set(spec.tests))
        if not confirmed and own and all(r["normalized"] == "pass" for r in own):
            continue  # its own tests were taken and passed: inferred evidence is overruled
        worst = max((by_test[t]["normalized"] for t in entry["tests"]), key=BUCKET_RANK.__getitem__)
        areas.append(
            ProblemArea(
                key=key,
                name=spec.name,
                priority=spec.priority,
                why=entry["why"] or spec.why,
                tests=tuple(sorted(entry["tests"])),
                flags=tuple(sorted(entry["flags"])),
                rule=", ".join(entry["rules"]),
                confirmed=confirmed,
                confirm_with=tuple(t for t in spec.tests if t not in by_test),
                worst=worst if worst != "pass" else "limited",
            )
        )
    areas.sort(
        key=lambda a: (
            PRIORITIES.index(a.priority),
            -BUCKET_RANK[a.worst],
            not a.confirmed,
            order.index(a.key),
        )
    )
    return areas


def problem_areas(
    db: sqlite_utils.Database, profile_id: int, *, today: date | None = None
) -> list[ProblemArea]:
    """The profile's problem areas from its latest valid results of the last 6 weeks."""
    rules = load_rules()
    results = latest_valid_results(db, profile_id, today=today, within_days=rules.window_days)
    return interpret(results, rules)
