"""The per-assessment report (PRODUCT.md §8, all tiers): one stored attempt, in full words.

Header, profile (name or initials), test, date, status; score, bucket, confidence,
quality figures; flags and problem areas; recommendations; the disclaimer. Pro adds the
metrics and per-rep detail, Pro+ the recording checks (tiers.toml features).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from flowlogic import clock, exercises, interpret, tiers
from flowlogic.catalog import TestSpec, find_test, load_data_toml
from flowlogic.errors import NotFound
from flowlogic.exercises import Exercise
from flowlogic.interpret import ProblemArea
from flowlogic.outfiles import safe_name
from flowlogic.reports import words
from flowlogic.reports.document import (
    Block,
    Bullets,
    Figure,
    Figures,
    Paragraph,
    Report,
    Section,
    Table,
)
from flowlogic.store import assessments

MAX_EXERCISES = 3
PHASE_ORDER = {"local": 0, "integration": 1, "function": 2}


@dataclass(frozen=True)
class StoredAttempt:
    """What a report needs about one stored attempt beyond its outcome."""

    id: int
    profile_id: int
    profile_name: str
    local_date: date
    ordinal_that_day: int  # 1 for the first attempt at this test that day
    outcome: dict[str, Any]


def load_attempt(db: sqlite_utils.Database, assessment_id: int) -> StoredAttempt:
    rows = list(
        db.query(
            "SELECT id, profile_id, test_id, local_date FROM assessments WHERE id = ?",
            [assessment_id],
        )
    )
    if not rows:
        raise NotFound(f"No assessment with id {assessment_id}. See `flowlogic history`.")
    row = rows[0]
    ordinal = db.execute(
        "SELECT COUNT(*) FROM assessments WHERE profile_id = ? AND test_id = ? "
        "AND local_date = ? AND id <= ?",
        [row["profile_id"], row["test_id"], row["local_date"], assessment_id],
    ).fetchone()[0]
    outcome = assessments.get(db, assessment_id)
    return StoredAttempt(
        id=assessment_id,
        profile_id=int(row["profile_id"]),
        profile_name=outcome.get("profile") or "",
        local_date=date.fromisoformat(row["local_date"]),
        ordinal_that_day=int(ordinal),
        outcome=outcome,
    )


def file_stem(spec: TestSpec, day: date, ordinal: int = 1) -> str:
    """`assessment-{test-slug}-{YYYY-MM-DD}`; a second attempt that day gets `-2`."""
    stem = f"assessment-{safe_name(spec.slug, fallback='test')}-{day.isoformat()}"
    return stem if ordinal <= 1 else f"{stem}-{ordinal}"


def build(db: sqlite_utils.Database, assessment_id: int, *, initials: bool = False) -> Report:
    attempt = load_attempt(db, assessment_id)
    outcome = attempt.outcome
    spec = find_test(outcome["test"]["id"])
    features = tiers.current_tier(db).features
    text = words.copy()["assessment"]
    valid = outcome["status"] == "valid"
    moment = words.local_moment(outcome["created_at"])
    meta = (
        ("Profile", words.display_name(attempt.profile_name, initials=initials)),
        ("Test", words.test_label(spec.id)),
        ("Date", f"{words.long_date(moment.date())}, {moment:%H:%M}"),
        ("View", f"{outcome.get('view') or '—'}"),
        ("Status", text["status_valid"] if valid else text["status_invalid"]),
    )
    sections = _valid_sections(db, attempt, spec, features) if valid else _invalid_sections(outcome)
    return Report(
        title=f"{words.copy()['brand']} · {text['title']}",
        meta=meta,
        sections=tuple(sections),
        footer=words.copy()["footer"],
        file_stem=file_stem(spec, attempt.local_date, attempt.ordinal_that_day),
        generated=f"Generated {clock.now_local():%Y-%m-%d %H:%M}",
    )


def _valid_sections(
    db: sqlite_utils.Database,
    attempt: StoredAttempt,
    spec: TestSpec,
    features: tuple[str, ...],
) -> list[Section]:
    outcome = attempt.outcome
    result = outcome["result"]
    text = words.copy()["assessment"]
    tone = words.tone_for(result["normalized"])
    areas = related_problem_areas(db, attempt, spec)
    sections = [
        Section(
            "Result",
            (
                Figures(
                    (
                        Figure("Score", f"{result['score']} / 100", result["band"], tone),
                        Figure("Result", result["bucket"], result["normalized"], tone),
                        Figure(
                            "Confidence", words.percent(result["confidence"]), "how sure we are"
                        ),
                    )
                ),
                Paragraph(spec.summary, tone="muted"),
            ),
        ),
        Section("Recording quality", (_quality_table(outcome),)),
        Section("What we saw", _flag_blocks(spec, result["flags"], text["no_flags"])),
        Section("Problem areas", _problem_area_blocks(areas, spec)),
        Section("Recommendations", (_recommendations(spec, attempt, result, areas, features),)),
    ]
    if result.get("notes"):
        sections.append(
            Section(
                "About this measurement",
                (Bullets(tuple((note, "") for note in result["notes"]), strong=False),),
            )
        )
    if "results_extended" in features:
        sections.append(Section("Measurements", (_metrics_table(result),)))
        if result.get("segments"):
            sections.append(Section("Reps and holds", (_segments_table(result),)))
    if "results_full" in features:
        sections.append(Section("Recording checks", (_checks_table(outcome),)))
    return sections


def _invalid_sections(outcome: dict[str, Any]) -> list[Section]:
    text = words.copy()["assessment"]
    quality = outcome["quality"]
    feedback = quality.get("feedback")
    skip = load_data_toml("quality.toml")["third_failure"]
    third_failure = bool(feedback) and feedback["header"] == skip["header"]
    if not feedback or third_failure:  # the stored copy is the "skip for now" one
        feedback = _first_failure_copy(quality)
    failed = [c["code"] for c in quality["checks"] if not c["passed"]]
    blocks: list[Block] = [Paragraph(text["invalid_intro"])]
    if feedback:
        tip = " ".join(part for part in (feedback["message"], f"{feedback['action']}.") if part)
        blocks.append(Bullets(((feedback["header"], tip),)))
    names = words.copy()["check_names"]
    if len(failed) > 1:
        seen = [names.get(code, code) for code in failed]
        blocks.append(Paragraph("Checks not met: " + "; ".join(seen) + ".", tone="muted"))
    if third_failure:
        blocks.append(Paragraph(f"{skip['header']}. {skip['message']}"))
    else:
        blocks.append(Paragraph(text["invalid_next"]))
    return [
        Section("What happened", tuple(blocks)),
        Section("Recording quality", (_quality_table(outcome),)),
    ]


def _first_failure_copy(quality: dict[str, Any]) -> dict[str, str] | None:
    copy = load_data_toml("quality.toml")
    for check in quality["checks"]:
        if not check["passed"] and check["code"] in copy:
            entry = copy[check["code"]]
            return {"header": entry["header"], "message": "", "action": entry["action"]}
    return None


def _quality_table(outcome: dict[str, Any]) -> Table:
    quality = outcome["quality"]
    video = outcome.get("video", {})
    frames = quality.get("frames_analysed")
    total = video.get("frames")
    frames_text = f"{frames} of {total}" if frames is not None and total else str(frames or "—")
    rows = [
        ("Recording quality score", words.percent(quality.get("score"))),
        ("Pose-tracking confidence (mean)", words.percent(quality.get("mean_confidence"))),
        ("Motion level", words.metric_value(quality.get("motion_level"), "torso lengths")),
        ("Frames analysed", frames_text),
        ("View seen", str(quality.get("view_seen") or "—")),
    ]
    if video.get("duration_s"):
        rows.append(("Clip length", f"{video['duration_s']:.1f} s"))
    reps = (outcome.get("result") or {}).get("reps")
    if reps is not None:
        rows.append(("Reps counted", str(reps)))
    return Table(("Figure", "Value"), tuple(rows), widths=(2, 1), numeric=(1,))


def _flag_blocks(spec: TestSpec, flags: list[dict[str, Any]], none_text: str) -> tuple[Block, ...]:
    if not flags:
        return (Paragraph(none_text, tone="good"),)
    items = []
    for flag in flags:
        headline, meaning, _ = words.flag_text(spec, flag)
        items.append((headline, meaning))
    return (Bullets(tuple(items)),)


def related_problem_areas(
    db: sqlite_utils.Database, attempt: StoredAttempt, spec: TestSpec
) -> list[ProblemArea]:
    """The problem areas this result points to: the profile's results as they stood on
    the day of the attempt, with this attempt as the test's latest. The report therefore
    reads the same whenever it is generated, and later retests do not rewrite it."""
    results = interpret.latest_valid_results(db, attempt.profile_id, today=attempt.local_date)
    mine = _as_latest_result(attempt, spec)
    results = sorted(
        [r for r in results if r["test_id"] != spec.id] + [mine], key=lambda r: r["test_id"]
    )
    return [a for a in interpret.interpret(results) if spec.id in a.tests]


def _as_latest_result(attempt: StoredAttempt, spec: TestSpec) -> dict[str, Any]:
    """This attempt in the shape of `interpret.latest_valid_results` rows."""
    result = attempt.outcome["result"]
    return {
        "assessment_id": attempt.id,
        "test_id": spec.id,
        "test_slug": spec.slug,
        "test_name": spec.name,
        "view": attempt.outcome.get("view"),
        "score": result["score"],
        "bucket": result["bucket"],
        "normalized": result["normalized"],
        "band": result.get("band"),
        "confidence": result["confidence"],
        "side": result.get("side"),
        "flags": result.get("flags", []),
        "metrics": result.get("metrics", {}),
        "created_at": attempt.outcome.get("created_at"),
        "local_date": attempt.local_date.isoformat(),
    }


def _problem_area_blocks(areas: list[ProblemArea], spec: TestSpec) -> tuple[Block, ...]:
    if not areas:
        return (Paragraph(words.copy()["assessment"]["no_problem_areas"], tone="muted"),)
    return (Bullets(tuple(problem_area_item(area, spec.id) for area in areas)),)


def problem_area_item(area: ProblemArea, shown_test: int | None = None) -> tuple[str, str]:
    """A problem area as a bullet: "P1 · Ankle mobility", why it matters, its evidence."""
    others = [t for t in area.tests if t != shown_test]
    detail = area.why
    if others:
        detail += f" Seen in: {', '.join(find_test(t).name for t in others)}."
    if not area.confirmed and area.confirm_with:
        names = ", ".join(find_test(t).name for t in area.confirm_with)
        detail += f" To confirm, take: {names}."
    return (f"{area.priority} · {area.name}", detail)


def _recommendations(
    spec: TestSpec,
    attempt: StoredAttempt,
    result: dict[str, Any],
    areas: list[ProblemArea],
    features: tuple[str, ...],
) -> Bullets:
    text = words.copy()["assessment"]
    items: list[tuple[str, str]] = []
    for flag in result["flags"]:
        headline, _, advice = words.flag_text(spec, flag)
        if advice:
            items.append((headline, advice))
    if result["flags"] or areas:
        if "exercises" in features:
            items += [exercise_item(e) for e in suggested_exercises(spec, result["flags"], areas)]
        else:
            items.append(("Exercises", text["exercises_locked"]))
    retest = attempt.local_date + timedelta(days=int(text["retest_after_days"]))
    if result["normalized"] == "pass":
        items.append(("Next", text["next_pass"]))
    else:
        if "exercises" in features:
            items.append(("Next", text["next_limited"]))
            items.append(("Your plan", text["plan_hint"]))
        else:
            items.append(("Next", text["next_limited_free"]))
    items.append(("Retest", f"Retest {spec.name} around {words.long_date(retest)}."))
    return Bullets(tuple(items))


def suggested_exercises(
    spec: TestSpec,
    flags: list[dict[str, Any]],
    areas: list[ProblemArea],
    limit: int = MAX_EXERCISES,
) -> list[Exercise]:
    """Exercises for what this test showed: those addressing its flags first, then those
    for its problem areas (local work before integration), without repeats."""
    library = exercises.load_library()
    chosen: list[Exercise] = []
    for flag in flags:
        key = f"{spec.slug}:{flag['code']}"
        chosen += [e for e in library if key in e.flags and e not in chosen]
    for area in areas:
        by_phase = sorted(exercises.for_area(area.key), key=lambda e: PHASE_ORDER.get(e.phase, 9))
        chosen += [e for e in by_phase if e not in chosen]
    return chosen[:limit]


def exercise_item(exercise: Exercise) -> tuple[str, str]:
    level = exercise.level(1)
    detail = f"{exercise.dosage(1)}, about {level.minutes:g} min."
    if exercise.cues:
        detail += f" {exercise.cues[0]}"
    return (f"Exercise: {exercise.name}", detail)


def _metrics_table(result: dict[str, Any]) -> Table:
    rows = []
    for key, metric in result["metrics"].items():
        rows.append(
            (
                words.metric_label(key, metric.get("side")),
                metric.get("side") or "—",
                words.metric_value(metric["value"], metric["unit"]),
                "estimated" if metric.get("estimated") else "",
            )
        )
    return Table(("Measure", "Side", "Value", "Note"), tuple(rows), (3, 1, 1.3, 1.2), (2,))


def _segments_table(result: dict[str, Any]) -> Table:
    rows = []
    for seg in result["segments"]:
        shown = ", ".join(
            f"{words.metric_label(k, None).lower()} {words.metric_value(v, '')}"
            for k, v in seg["values"].items()
        )
        rows.append(
            (
                str(seg["index"]),
                f"{seg['start_s']:.1f}–{seg['end_s']:.1f} s",
                seg.get("side") or "—",
                shown,
            )
        )
    return Table(("#", "Time", "Side", "Values"), tuple(rows), (0.5, 1.4, 0.8, 5), (0,))


def _checks_table(outcome: dict[str, Any]) -> Table:
    names = words.copy()["check_names"]
    rows = []
    for check in outcome["quality"]["checks"]:
        value = check["value"]
        rows.append(
            (
                names.get(check["code"], check["code"].replace("_", " ").capitalize()),
                "met" if check["passed"] else "not met",
                "—" if value is None else f"{value:.2f}",
                _threshold_text(check["threshold"]),
            )
        )
    return Table(("Check", "Outcome", "Measured", "Limit"), tuple(rows), (3.2, 1, 1, 1), (2, 3))


def _threshold_text(threshold: Any) -> str:
    if isinstance(threshold, list | tuple):
        return "–".join(str(t) for t in threshold)
    return "—" if threshold is None else str(threshold)
