"""Reports (PRODUCT.md §8): per-assessment HTML and PDF, safe names, atomic writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import charts, consent, interpret, profiles
from flowlogic.outfiles import atomic_write_bytes, safe_name
from flowlogic.reports import assessment as assessment_report
from flowlogic.reports import assessment_report as write_assessment_report
from flowlogic.reports import document, full_report, pdf, words
from flowlogic.store import assessments, open_db
from tests import history
from tests.conftest import SAMPLE
from tests.pdftext import pages_text

DISCLAIMER = (
    "This is a wellness assessment, not a medical diagnosis. "
    "Consult a health professional for medical advice."
)
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tier(monkeypatch):
    """Set the installation's tier: tier("pro")."""

    def set_tier(key: str) -> None:
        monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: key)

    set_tier("free")
    return set_tier


@pytest.fixture
def db(clock):
    database = open_db()
    consent.accept(database)
    return database


def _squat_with_valgus() -> dict:
    return history.outcome(
        4,
        score=62,
        bucket="compensation",
        flags=[("knee_valgus", "left", "moderate"), ("heel_lift", None, "mild")],
        notes=("From the front we cannot see forward lean — record a side view too.",),
    )


def _text_of(pdf_path: Path) -> str:
    return " ".join(pages_text(pdf_path))


# --- a real stored assessment of the bundled sample ------------------------------------------


def test_report_of_the_bundled_sample_says_what_was_stored(db, tier, tmp_path):
    from flowlogic.assess import score_video

    outcome = score_video(SAMPLE, 4, db=db)
    stored = assessments.get(db, outcome.assessment_id)
    result = stored["result"]

    paths = write_assessment_report(db, outcome.assessment_id, tmp_path)

    assert sorted(p.name for p in paths) == [
        "assessment-overhead-squat-2026-03-16.html",
        "assessment-overhead-squat-2026-03-16.pdf",
    ]
    pdf_path = next(p for p in paths if p.suffix == ".pdf")
    page_texts = pages_text(pdf_path)
    text = " ".join(page_texts)
    for expected in (
        "default",
        "Overhead Squat (test 4)",
        "Mon 16 Mar 2026",
        "Completed",
        f"{result['score']} / 100",
        result["band"],
        result["bucket"],
        words.percent(result["confidence"]),
        f"{stored['quality']['frames_analysed']} of {stored['video']['frames']}",
        words.percent(stored["quality"]["mean_confidence"]),
    ):
        assert expected in text, expected
    assert all(DISCLAIMER in page for page in page_texts)
    for flag in result["flags"]:
        headline, _, _ = words.flag_text(assessment_report.find_test(4), flag)
        assert headline in text
    page = (tmp_path / "assessment-overhead-squat-2026-03-16.html").read_text()
    assert f"{result['score']} / 100" in page and DISCLAIMER in page


def test_detail_sections_follow_the_tier(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    assessment_id = history.store(db, person.id, date(2026, 3, 16), _squat_with_valgus())
    seen = {}
    for key in ("free", "pro", "proplus"):
        tier(key)
        report = assessment_report.build(db, assessment_id)
        seen[key] = [s.heading for s in report.sections]
    assert "Measurements" not in seen["free"]
    assert "Recording checks" not in seen["free"]
    assert {"Measurements", "Reps and holds"} <= set(seen["pro"])
    assert "Recording checks" not in seen["pro"]
    assert {"Measurements", "Reps and holds", "Recording checks"} <= set(seen["proplus"])


# --- fixture histories ----------------------------------------------------------------------


def test_flags_in_plain_words_and_the_problem_areas_behind_this_test(db, tier, tmp_path):
    tier("basic")
    person = profiles.add(db, "Zoë Anne Müller")
    history.store(db, person.id, date(2026, 3, 2), history.outcome(6, score=66, bucket="limited"))
    squat = history.store(db, person.id, date(2026, 3, 16), _squat_with_valgus())

    write_assessment_report(db, squat, tmp_path)
    text = _text_of(tmp_path / "assessment-overhead-squat-2026-03-16.pdf")

    assert "Knees move inward (clear, left side)" in text
    assert "Heels come up (slight)" in text
    areas = [a for a in interpret.problem_areas(db, person.id) if 4 in a.tests]
    assert areas, "the fixture should give problem areas for the squat"
    for area in areas:
        assert f"{area.priority} · {area.name}" in text
    ankle_only = [a for a in interpret.problem_areas(db, person.id) if 4 not in a.tests]
    for area in ankle_only:
        assert area.name not in text.split("Recommendations")[0].split("Problem areas")[1]
    assert "Exercise:" in text  # Basic lists exercises for the flags
    assert "Retest Overhead Squat around Mon 30 Mar 2026" in text
    assert "record a side view too" in text


def test_an_old_report_keeps_the_problem_areas_of_its_day(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    old = history.store(db, person.id, date(2026, 3, 2), _squat_with_valgus())
    history.store(db, person.id, date(2026, 3, 16), history.outcome(4, score=92, bucket="good"))
    assert not [a for a in interpret.problem_areas(db, person.id) if 4 in a.tests]

    report = assessment_report.build(db, old)

    section = next(s for s in report.sections if s.heading == "Problem areas")
    shown = [head for block in section.blocks for head, _ in getattr(block, "items", ())]
    assert "P2 · Knees drifting inward" in shown


def test_free_tier_names_no_exercises_but_says_where_they_are(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    squat = history.store(db, person.id, date(2026, 3, 16), _squat_with_valgus())
    report = assessment_report.build(db, squat)
    recommendations = next(s for s in report.sections if s.heading == "Recommendations")
    heads = [head for block in recommendations.blocks for head, _ in block.items]
    assert "Exercises" in heads
    assert not any(head.startswith("Exercise:") for head in heads)


def test_invalid_attempt_report_says_not_completed_and_why(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    attempt = history.store(db, person.id, date(2026, 3, 16), history.outcome(7, score=None))

    write_assessment_report(db, attempt, tmp_path, formats=("pdf",))
    text = _text_of(tmp_path / "assessment-single-leg-balance-2026-03-16.pdf")

    assert "Not completed" in text
    assert "Hard to see" in text and "Try turning on more lights" in text
    assert "/ 100" not in text  # no score is ever guessed
    assert DISCLAIMER in text


def test_after_a_third_failure_the_report_says_to_skip_for_now(db, tier):
    from flowlogic.catalog import load_data_toml

    person = profiles.add(db, "Sam")
    data = history.outcome(7, score=None)
    skip = load_data_toml("quality.toml")["third_failure"]
    data["quality"]["feedback"] = {k: skip[k] for k in ("header", "message", "action")}
    attempt = history.store(db, person.id, date(2026, 3, 16), data)

    section = assessment_report.build(db, attempt).sections[0]

    texts = [b.text for b in section.blocks if isinstance(b, document.Paragraph)]
    tips = [head for b in section.blocks if isinstance(b, document.Bullets) for head, _ in b.items]
    assert tips == ["Hard to see"]  # the check that failed, not the skip copy
    assert any(skip["message"] in t for t in texts)
    assert not any("Record the test again" in t for t in texts)


def test_initials_replace_the_name_everywhere(db, tier, tmp_path):
    person = profiles.add(db, "Zoë Anne Müller")
    squat = history.store(db, person.id, date(2026, 3, 16), _squat_with_valgus())

    paths = write_assessment_report(db, squat, tmp_path, initials=True)

    for path in paths:
        text = _text_of(path) if path.suffix == ".pdf" else path.read_text()
        assert "Z. A. M." in text
        assert "Müller" not in text and "Zoë" not in text


def test_second_attempt_the_same_day_gets_its_own_file(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    first = history.store(db, person.id, date(2026, 3, 16), _squat_with_valgus(), hour=8)
    second = history.store(
        db, person.id, date(2026, 3, 16), history.outcome(4, score=80, bucket="good"), hour=10
    )

    names = [p.name for p in write_assessment_report(db, first, tmp_path, formats=("pdf",))]
    names += [p.name for p in write_assessment_report(db, second, tmp_path, formats=("pdf",))]

    assert names == [
        "assessment-overhead-squat-2026-03-16.pdf",
        "assessment-overhead-squat-2026-03-16-2.pdf",
    ]
    assert "62 / 100" in _text_of(tmp_path / names[0])
    assert "80 / 100" in _text_of(tmp_path / names[1])


def test_html_escapes_stored_text(db, tier, tmp_path):
    person = profiles.add(db, "Sam")
    data = history.outcome(4, score=80, notes=("<script>alert(1)</script> & more",))
    attempt = history.store(db, person.id, date(2026, 3, 16), data)

    write_assessment_report(db, attempt, tmp_path, formats=("html",))
    page = (tmp_path / "assessment-overhead-squat-2026-03-16.html").read_text()

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_unknown_assessment_is_a_clear_error(db, tier, tmp_path):
    from flowlogic.errors import NotFound

    with pytest.raises(NotFound, match="No assessment with id 99"):
        write_assessment_report(db, 99, tmp_path)


def test_report_modules_import_without_ui_packages():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import flowlogic.reports, flowlogic.reports.assessment, flowlogic.reports.full\n"
        "import flowlogic.reports.pdf, flowlogic.reports.html\n"
        "import flowlogic.charts, flowlogic.export, flowlogic.share_card\n"
        "print(','.join(m for m in ('typer', 'textual', 'matplotlib') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# --- text beyond Latin-1 ---------------------------------------------------------------------

UNICODE_REPORT = document.Report(
    title="Flow Logic · Test — ≥ 90 %",
    meta=(("Profile", "李雷 · Zoë"),),
    sections=(
        document.Section(
            "Signs ≥ ≤ → “quotes” …",
            (
                document.Paragraph("Knees ≥ 10° — slight · 李"),
                document.Bullets((("• bullet", "detail ✓"),)),
                document.Table(("A", "B"), (("≥ 1", "— 2"),)),
                document.Figures((document.Figure("Score", "94 / 100", "≥ Good", "good"),)),
            ),
        ),
    ),
    footer=DISCLAIMER,
    file_stem="unicode",
)


def test_pdf_prints_unicode_with_the_bundled_font(tmp_path):
    assert pdf.bundled_font_paths() is not None, "matplotlib ships DejaVu Sans"
    path = tmp_path / "u.pdf"
    path.write_bytes(pdf.render(UNICODE_REPORT))
    text = _text_of(path)
    assert "Knees ≥ 10° — slight" in text
    assert "Zoë" in text


def test_pdf_without_the_bundled_font_folds_text_instead_of_crashing(tmp_path):
    path = tmp_path / "u.pdf"
    path.write_bytes(pdf.render(UNICODE_REPORT, use_bundled_font=False))
    text = _text_of(path)
    assert "Knees >= 10° - slight · ?" in text
    assert "Zoë" in text  # Latin-1 letters stay


def test_fold_to_latin1_keeps_meaning():
    assert pdf.fold_to_latin1("≥ 20 % — “ok” → done…") == '>= 20 % - "ok" -> done...'
    assert pdf.fold_to_latin1("Čapek 李") == "Capek ?"


# --- file names and writing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("Zoë Müller", "zoe-muller"),
        ("a\x00b\nc\td", "a-b-c-d"),
        ("/abs/path", "abs-path"),
        (".hidden", "hidden"),
        ("C:\\Users\\x", "c-users-x"),
        ("李雷", "unnamed"),
        ("x" * 200, "x" * 64),
    ],
)
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


def test_file_stem_sanitises_the_slug():
    spec = assessment_report.find_test(4)
    hostile = type(spec).__new__(type(spec))
    object.__setattr__(hostile, "slug", "../../x")
    stem = assessment_report.file_stem(hostile, date(2026, 3, 2))
    assert stem == "assessment-x-2026-03-02" and "/" not in stem


def test_atomic_write_replaces_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "r.pdf"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["r.pdf"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    atomic_write_bytes(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("flowlogic.outfiles.os.replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# --- the command -----------------------------------------------------------------------------


def test_cli_report_writes_the_latest_assessment(db, tier, tmp_path):
    from flowlogic.cli.app import app

    person = profiles.add(db, "Sam")
    history.store(
        db, person.id, date(2026, 3, 2), history.outcome(4, score=60, bucket="compensation")
    )
    history.store(db, person.id, date(2026, 3, 16), history.outcome(7, score=88, bucket="good"))

    result = CliRunner().invoke(
        app, ["report", "--profile", "Sam", "--out", str(tmp_path), "--format", "pdf", "--json"]
    )

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [Path(f).name for f in payload["files"]] == [
        "assessment-single-leg-balance-2026-03-16.pdf"
    ]


def test_cli_report_refuses_another_profiles_assessment(db, tier, tmp_path):
    from flowlogic.cli.app import app

    sam, kim = profiles.add(db, "Sam"), profiles.add(db, "Kim")
    attempt = history.store(db, sam.id, date(2026, 3, 16), history.outcome(4, score=80))
    history.store(db, kim.id, date(2026, 3, 16), history.outcome(4, score=80))

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["report", str(attempt), "--profile", "Kim", "--out", str(out)]
    )

    assert result.exit_code == 2
    assert "another profile" in result.output
    assert not out.exists()


def test_cli_full_report_is_refused_below_pro(db, tier, tmp_path):
    from flowlogic.cli.app import app

    tier("basic")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", "--full", "--out", str(out)])
    assert result.exit_code == 4
    assert "Pro" in result.output
    assert not out.exists()


# --- the full report (Pro, Pro+) ---------------------------------------------------------------

SCENARIO_END = history.SCENARIO_START + timedelta(days=len(history.SCENARIO_SHARES) - 1)


@pytest.fixture
def scenario_db(monkeypatch, tier):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    end = datetime.combine(SCENARIO_END, datetime.min.time(), UTC).replace(hour=20)
    with time_machine.travel(end, tick=False):
        database = open_db()
        consent.accept(database)
        tier("pro")
        person, _ = history.plan_scenario(database)
        yield database, person


def test_full_report_has_limitations_plan_progress_charts_and_retests(scenario_db, tmp_path):
    from flowlogic import plans

    db, person = scenario_db
    paths = full_report(db, person.id, tmp_path)

    stem = f"full-report-zoe-anne-muller-{SCENARIO_END}"
    assert sorted(p.name for p in paths) == [f"{stem}.html", f"{stem}.pdf"]
    page_texts = pages_text(tmp_path / f"{stem}.pdf")
    text = " ".join(page_texts)
    assert all(DISCLAIMER in page for page in page_texts)
    assert "P1: root-cause candidates" in text and "P2: consequence patterns" in text
    for area in interpret.problem_areas(db, person.id):
        assert f"{area.priority} · {area.name}" in text
    plan = plans.active_plan(db, person.id)
    for number, phase in enumerate(plan.phases, start=1):
        assert f"Phase {number} · {phase.name}" in text
        for exercise in phase.exercises:
            assert exercise.name in text
    squat = next(p for p in plans.progress(db, person.id, SCENARIO_END) if p.test_id == 4)
    assert f"{squat.change_pct:+.0f}% in {squat.days} d" in text
    for retest in plans.retest_schedule(db, person.id, SCENARIO_END):
        assert retest.test_name in text
    page = (tmp_path / f"{stem}.html").read_text()
    trends = charts.score_trends(db, person.id, days=90, tests=charts.key_tests(db, person.id))
    assert page.count('src="data:image/png;base64,') == len(trends) + 2  # + completion, streak


def test_full_report_overview_matches_the_core(scenario_db):
    from flowlogic import plans
    from flowlogic.reports import full

    db, person = scenario_db
    report = full.build(db, person.id)

    figures = {f.label: f.value for f in report.sections[0].blocks[0].items}
    assert figures["Overall score"] == f"{interpret.overall_score(db, person.id)} / 100"
    assert figures["Streak"] == f"{plans.streaks(db, person.id, SCENARIO_END).current} days"
    assert report.meta[2] == ("Plan", "Pro")


def test_a_downgrade_hides_the_full_report_and_keeps_the_plan(scenario_db, tier, tmp_path):
    from flowlogic.cli.app import app

    _, person = scenario_db
    args = ["report", "--full", "--profile", person.name, "--out", str(tmp_path / "out")]
    tier("basic")
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 4
    assert "Nothing you recorded is lost" in refused.output

    tier("proplus")
    again = CliRunner().invoke(app, [*args, "--format", "pdf"])
    assert again.exit_code == 0, again.output
    text = _text_of(tmp_path / "out" / f"full-report-zoe-anne-muller-{SCENARIO_END}.pdf")
    assert "Phase 1 · " in text


def test_full_report_for_every_profile(scenario_db, tmp_path):
    from flowlogic.cli.app import app

    db, _ = scenario_db
    profiles.add(db, "Kim")
    result = CliRunner().invoke(
        app, ["report", "--full", "--all-profiles", "--out", str(tmp_path), "-f", "html", "--json"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(Path(f).name for f in json.loads(result.stdout)["files"])
    assert names == [
        f"full-report-kim-{SCENARIO_END}.html",
        f"full-report-zoe-anne-muller-{SCENARIO_END}.html",
    ]
    kim = (tmp_path / f"full-report-kim-{SCENARIO_END}.html").read_text()
    assert "No completed tests in the last 6 weeks yet" in kim
    assert "No active plan yet" in kim
