"""Charts (PRODUCT.md §7): windows, completion bands, streak line, score trends, PNGs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from typer.testing import CliRunner

from flowlogic import charts, consent, profiles
from flowlogic.errors import UsageError
from flowlogic.store import open_db
from tests import history

TODAY = date(2026, 3, 31)


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    with time_machine.travel(datetime(2026, 3, 31, 18, tzinfo=UTC), tick=False):
        database = open_db()
        consent.accept(database)
        yield database


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _pixels_near(png: bytes, colour: str, tolerance: int = 12) -> int:
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    target = _hex_rgb(colour)
    return sum(
        count
        for count, pixel in picture.getcolors(maxcolors=1 << 20)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True))
    )


# --- windows and bands -----------------------------------------------------------------------


def test_window_is_30_days_by_default_and_ends_today():
    window = charts.chart_window(today=TODAY)
    assert window.days == 30
    assert (window.start, window.end) == (date(2026, 3, 2), TODAY)
    assert len(window.each_day()) == 30


@pytest.mark.parametrize("days", [7, 45, 90])
def test_window_accepts_7_to_90_days(days):
    window = charts.chart_window(days, today=TODAY)
    assert window.days == days and window.end == TODAY


@pytest.mark.parametrize("days", [0, 6, 91, -3])
def test_window_refuses_other_lengths(days):
    with pytest.raises(UsageError, match="7 to 90 days"):
        charts.chart_window(days, today=TODAY)


def test_window_across_a_month_end():
    window = charts.chart_window(7, today=date(2026, 3, 2))
    assert window.each_day()[0] == date(2026, 2, 24)
    assert date(2026, 2, 28) in window.each_day() and date(2026, 3, 1) in window.each_day()


@pytest.mark.parametrize(
    ("fraction", "band"),
    [
        (1.0, "full"),
        (0.99, "partial"),
        (0.70, "partial"),
        (2 / 3, "low"),
        (0.0, "low"),
        (None, "none"),
    ],
)
def test_completion_bands(fraction, band):
    assert charts.completion_band(fraction) == band


def test_bars_cover_every_day_and_mark_days_without_tasks():
    window = charts.chart_window(7, today=TODAY)
    series = [(date(2026, 3, 25), 1.0), (date(2026, 3, 27), 0.75), (date(2026, 3, 31), 0.5)]
    bars = charts.bars_from_series(window, series)
    assert [b.day for b in bars] == window.each_day()
    assert [b.band for b in bars] == ["full", "none", "partial", "none", "none", "none", "low"]
    assert bars[0].colour != bars[2].colour != bars[-1].colour


# --- score trends from a fixture history --------------------------------------------------------


def _history(db):
    person = profiles.add(db, "Sam")
    squat = history.outcome(4, score=58, bucket="significant")
    history.store(db, person.id, date(2026, 1, 20), squat)  # outside 30 and 60 days
    history.store(
        db, person.id, date(2026, 3, 3), history.outcome(4, score=62, bucket="compensation")
    )
    history.store(
        db,
        person.id,
        date(2026, 3, 17),
        history.outcome(4, score=66, bucket="compensation"),
        hour=8,
    )
    history.store(
        db,
        person.id,
        date(2026, 3, 17),
        history.outcome(4, score=70, bucket="compensation"),
        hour=11,
    )
    history.store(db, person.id, date(2026, 3, 20), history.outcome(4, score=None))  # invalid
    history.store(db, person.id, date(2026, 3, 30), history.outcome(7, score=80, bucket="good"))
    return person


def test_score_trends_keep_valid_results_in_the_window_one_per_day(db):
    person = _history(db)

    trends = charts.score_trends(db, person.id, today=TODAY)

    assert [t.slug for t in trends] == ["overhead-squat", "single-leg-balance"]
    squat = trends[0]
    assert [(p.day, p.score) for p in squat.points] == [
        (date(2026, 3, 3), 62),
        (date(2026, 3, 17), 70),  # the day's last valid attempt
    ]
    longer = charts.score_trends(db, person.id, days=90, today=TODAY, tests=[4])
    assert [p.score for p in longer[0].points] == [58, 62, 70]


def test_score_trends_in_the_order_asked_and_skip_tests_without_scores(db):
    person = _history(db)
    trends = charts.score_trends(db, person.id, today=TODAY, tests=[7, 12, 4])
    assert [t.test_id for t in trends] == [7, 4]


def test_key_tests_put_problem_area_tests_first(db):
    person = _history(db)
    keys = charts.key_tests(db, person.id, today=TODAY)
    assert keys[0] == 4  # the limited squat is behind a problem area
    assert 7 in keys


def test_chart_data_for_scores_is_json_ready(db):
    person = _history(db)
    data = charts.chart_data(db, person.id, "scores", today=TODAY, test=4)
    assert data[0]["slug"] == "overhead-squat"
    assert data[0]["points"][0] == {"day": "2026-03-03", "score": 62, "assessment_id": 2}


def test_unknown_chart_kind_is_a_usage_error(db):
    person = profiles.add(db, "Sam")
    with pytest.raises(UsageError, match="streak, completion, scores"):
        charts.chart_png(db, person.id, "pie")


# --- PNG rendering ------------------------------------------------------------------------------


def test_completion_png_colours_bars_by_band():
    window = charts.chart_window(7, today=TODAY)
    bars = charts.bars_from_series(
        window, [(date(2026, 3, 25), 1.0), (date(2026, 3, 26), 0.8), (date(2026, 3, 27), 0.2)]
    )
    png = charts.completion_png(bars)
    assert png.startswith(b"\x89PNG")
    colours = charts._config()["colours"]
    for band in ("full", "partial", "low"):
        assert _pixels_near(png, colours[band]) > 200, band
    only_green = charts.bars_from_series(window, [(date(2026, 3, 25), 1.0)])
    assert _pixels_near(charts.completion_png(only_green), colours["low"]) == 0


def test_a_missed_day_still_shows_a_red_stub():
    window = charts.chart_window(7, today=TODAY)
    bars = charts.bars_from_series(window, [(date(2026, 3, 28), 0.0)])
    assert _pixels_near(charts.completion_png(bars), charts._config()["colours"]["low"]) > 20


def test_streak_and_trend_pngs_have_the_chart_size():
    window = charts.chart_window(30, today=TODAY)
    points = [charts.StreakPoint(d, i % 5) for i, d in enumerate(window.each_day())]
    trend = charts.ScoreTrend(
        4,
        "overhead-squat",
        "Overhead Squat",
        (charts.TrendPoint(date(2026, 3, 3), 62, 1), charts.TrendPoint(date(2026, 3, 17), 70, 2)),
    )
    for png in (charts.streak_png(points), charts.trend_png(trend, window)):
        picture = Image.open(io.BytesIO(png))
        expected = tuple(round(v * charts.DPI) for v in charts.FIG_SIZE_IN)
        assert picture.size == expected
    assert _pixels_near(charts.streak_png(points), charts._config()["colours"]["line"]) > 100


def test_write_png_refuses_other_extensions(tmp_path):
    with pytest.raises(UsageError, match=r"should end in \.png"):
        charts.write_png(tmp_path / "chart.pdf", b"\x89PNG")
    path = charts.write_png(tmp_path / "c.png", b"\x89PNG")
    assert path.read_bytes() == b"\x89PNG"


def test_matplotlib_loads_only_when_drawing_and_never_pyplot():
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from flowlogic import charts, share_card\n"
        "from flowlogic.reports import pdf\n"
        "assert 'matplotlib' not in sys.modules, 'imported too early'\n"
        "w = charts.chart_window(7, today=date(2026, 3, 31))\n"
        "charts.completion_png(charts.bars_from_series(w, []))\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot loaded'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- with a followed plan -----------------------------------------------------------------------

SCENARIO_END = history.SCENARIO_START + timedelta(days=len(history.SCENARIO_SHARES) - 1)


@pytest.fixture
def tier(monkeypatch):
    def set_tier(key: str) -> None:
        monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: key)

    set_tier("free")
    return set_tier


@pytest.fixture
def followed(monkeypatch, tier):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    end = datetime.combine(SCENARIO_END, datetime.min.time(), UTC).replace(hour=20)
    with time_machine.travel(end, tick=False):
        database = open_db()
        consent.accept(database)
        tier("basic")
        person, done = history.plan_scenario(database)
        yield database, person, done


def test_completion_bars_follow_the_days_ticked_off(followed):
    db, person, done = followed
    bars = charts.completion_bars(db, person.id, days=30, today=SCENARIO_END)

    assert len(bars) == 30 and bars[-1].day == SCENARIO_END
    before_plan = [b for b in bars if b.day < history.SCENARIO_START]
    assert before_plan and all(b.band == "none" for b in before_plan)
    on_plan = [b for b in bars if b.day >= history.SCENARIO_START]
    assert [b.fraction for b in on_plan] == pytest.approx(done)
    assert [b.band for b in on_plan] == [
        "full" if share == 1 else "partial" if share >= 0.7 else "low" for share in done
    ]


def test_streak_line_agrees_with_the_streak_rules(followed):
    from flowlogic import plans

    db, person, done = followed
    points = charts.streak_series(db, person.id, days=30, today=SCENARIO_END)

    assert [p.day for p in points] == charts.chart_window(30, today=SCENARIO_END).each_day()
    runs, run = [], 0
    for share in done:
        run = run + 1 if share >= 0.7 else 0
        runs.append(run)
    on_plan = [p.streak for p in points if p.day >= history.SCENARIO_START]
    assert on_plan == runs
    assert points[-1].streak == plans.streaks(db, person.id, SCENARIO_END).current


def test_an_open_day_does_not_break_the_line_yet(followed):
    from flowlogic import plans

    db, person, _ = followed
    tomorrow = SCENARIO_END + timedelta(days=1)
    plans.tasks_for_day(db, person.id, tomorrow, today=tomorrow)  # nothing done yet
    points = charts.streak_series(db, person.id, days=7, today=tomorrow)
    assert points[-1].streak == points[-2].streak > 0


def test_cli_chart_writes_a_png_or_prints_the_data(followed, tmp_path):
    from flowlogic.cli.app import app

    _, person, _ = followed
    out = tmp_path / "c.png"
    result = CliRunner().invoke(
        app, ["chart", "completion", "--days", "7", "--profile", person.name, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == tuple(round(v * charts.DPI) for v in charts.FIG_SIZE_IN)

    as_json = CliRunner().invoke(app, ["chart", "streak", "-d", "7", "-p", person.name, "--json"])
    assert as_json.exit_code == 0, as_json.output
    points = json.loads(as_json.stdout)["points"]
    assert [p["day"] for p in points][-1] == SCENARIO_END.isoformat()


def test_cli_chart_is_refused_on_free_and_checks_the_days(followed, tier, tmp_path):
    from flowlogic.cli.app import app

    too_long = CliRunner().invoke(app, ["chart", "streak", "--days", "120", "--json"])
    assert too_long.exit_code == 2
    tier("free")
    refused = CliRunner().invoke(app, ["chart", "streak", "--out", str(tmp_path / "c.png")])
    assert refused.exit_code == 4
    assert "Basic" in refused.output
