"""Charts (PRODUCT.md §7): the data behind them, UI-free, and PNG renderings for reports.

- streak line: the current streak as it stood at the end of each day;
- daily completion bars, coloured by band: green 100 %, yellow 70-99 %, red < 70 %;
- score trends: each test's valid scores over time.

Windows are 30 days by default, 7-90 selectable (data/charts.toml). The data functions
return plain dataclasses so the TUI can draw terminal plots from the same numbers;
`*_png` functions draw with matplotlib's Agg canvas, imported only when called (no
pyplot, no global backend switch).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from flowlogic import clock
from flowlogic.catalog import find_test, load_data_toml
from flowlogic.errors import UsageError
from flowlogic.outfiles import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KINDS = ("streak", "completion", "scores")


@cache
def _config() -> dict[str, Any]:
    return load_data_toml("charts.toml")


def _number(section: str, key: str) -> float:
    return _config()[section][key]["value"]


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def chart_window(days: int | None = None, *, today: date | None = None) -> Window:
    """The last `days` days up to and including `today` (30 by default, 7-90 allowed)."""
    low, high = int(_number("window", "min_days")), int(_number("window", "max_days"))
    days = int(_number("window", "default_days")) if days is None else int(days)
    if not low <= days <= high:
        raise UsageError(f"Charts cover {low} to {high} days, not {days}.")
    end = today or clock.today()
    return Window(end - timedelta(days=days - 1), end)


# --- Daily completion ---------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionBar:
    day: date
    fraction: float | None  # 0..1 of the day's tasks done; None = no tasks that day
    band: str  # full | partial | low | none

    @property
    def colour(self) -> str:
        return _config()["colours"][self.band]


def completion_band(fraction: float | None) -> str:
    """full (100 %), partial (70-99 %), low (< 70 %), or none (no tasks)."""
    from flowlogic.plans.config import plan_config

    if fraction is None:
        return "none"
    config = plan_config()  # the same cut-offs as the streak points
    if fraction >= config.full_day - 1e-9:
        return "full"
    if fraction >= config.good_day - 1e-9:
        return "partial"
    return "low"


def bars_from_series(window: Window, series: list[tuple[date, float]]) -> list[CompletionBar]:
    """One bar per day of `window` from (day, fraction) pairs; missing days have none."""
    by_day = {day: fraction for day, fraction in series}
    return [
        CompletionBar(day, by_day.get(day), completion_band(by_day.get(day)))
        for day in window.each_day()
    ]


def completion_bars(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    days: int | None = None,
    today: date | None = None,
) -> list[CompletionBar]:
    from flowlogic import plans

    window = chart_window(days, today=today)
    series = plans.completion_series(db, profile_id, window.start, window.end)
    return bars_from_series(window, series)


# --- Streak line ------------------------------------------------------------------------


@dataclass(frozen=True)
class StreakPoint:
    day: date
    streak: int  # the current streak (days >= 70 %) at the end of that day


def streak_series(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    days: int | None = None,
    today: date | None = None,
) -> list[StreakPoint]:
    """The streak at the end of each day of the window (`plans.streak_series`). The last
    day is today, still open: it shows the current streak as the dashboard does (a day
    below 70 % so far does not break the streak until it is over)."""
    from flowlogic import plans

    window = chart_window(days, today=today)
    series = plans.streak_series(db, profile_id, window.start, window.end)
    points = [StreakPoint(day, int(run)) for day, run in series]
    if points:
        current = int(plans.streaks(db, profile_id, window.end).current)
        points[-1] = StreakPoint(window.end, current)
    return points


# --- Score trends -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    day: date
    score: int
    assessment_id: int


@dataclass(frozen=True)
class ScoreTrend:
    test_id: int
    slug: str
    name: str
    points: tuple[TrendPoint, ...]


def score_trends(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    days: int | None = None,
    today: date | None = None,
    tests: list[int] | None = None,
) -> list[ScoreTrend]:
    """Valid scores per test in the window (the day's last valid attempt when there were
    several), by test id. `tests` limits and orders the tests shown."""
    window = chart_window(days, today=today)
    rows = db.query(
        "SELECT a.id, a.test_id, a.local_date, r.score FROM assessments a "
        "JOIN results r ON r.assessment_id = a.id "
        "WHERE a.profile_id = ? AND a.status = 'valid' AND a.local_date BETWEEN ? AND ? "
        "ORDER BY a.test_id, a.local_date, a.created_at, a.id",
        [profile_id, window.start.isoformat(), window.end.isoformat()],
    )
    per_test: dict[int, dict[date, TrendPoint]] = {}
    for row in rows:
        day = date.fromisoformat(row["local_date"])
        per_test.setdefault(int(row["test_id"]), {})[day] = TrendPoint(
            day, int(row["score"]), int(row["id"])
        )
    wanted = tests if tests is not None else sorted(per_test)
    trends = []
    for test_id in wanted:
        if test_id not in per_test:
            continue
        spec = find_test(test_id)
        points = tuple(per_test[test_id][d] for d in sorted(per_test[test_id]))
        trends.append(ScoreTrend(spec.id, spec.slug, spec.name, points))
    return trends


def key_tests(
    db: sqlite_utils.Database, profile_id: int, *, today: date | None = None
) -> list[int]:
    """The tests worth a trend: those behind the profile's problem areas, then every
    other test with a valid result in the last 6 weeks."""
    from flowlogic import interpret

    ordered: list[int] = []
    for area in interpret.problem_areas(db, profile_id, today=today):
        ordered += [t for t in area.tests if t not in ordered]
    for result in interpret.latest_valid_results(db, profile_id, today=today):
        if result["test_id"] not in ordered:
            ordered.append(result["test_id"])
    return ordered


# --- PNG rendering ----------------------------------------------------------------------

FIG_SIZE_IN = (8.0, 2.8)
DPI = 120
STUB_PCT = 2.5


def _figure(size: tuple[float, float] = FIG_SIZE_IN) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    colours = _config()["colours"]
    axes.grid(axis="y", color=colours["grid"], linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def _date_axis(axes: Axes, window: Window) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    margin = timedelta(hours=18)
    first, last = datetime.combine(window.start, time()), datetime.combine(window.end, time())
    axes.set_xlim(first - margin, last + margin)


def completion_png(bars: list[CompletionBar], *, title: str = "Daily completion") -> bytes:
    figure, axes = _figure()
    days = [bar.day for bar in bars]
    # A day with tasks but nothing done still shows a short red stub; a day without
    # tasks a short grey one.
    heights = [
        STUB_PCT if bar.fraction is None else max(STUB_PCT, 100 * bar.fraction) for bar in bars
    ]
    axes.bar(days, heights, width=0.8, color=[bar.colour for bar in bars])
    axes.set_ylim(0, 105)
    axes.set_yticks([0, 70, 100], labels=["0%", "70%", "100%"])
    axes.set_title(title, loc="left", fontsize=11)
    if bars:
        _date_axis(axes, Window(bars[0].day, bars[-1].day))
    return _png(figure)


def streak_png(points: list[StreakPoint], *, title: str = "Streak (days)") -> bytes:
    figure, axes = _figure()
    colour = _config()["colours"]["line"]
    days = [p.day for p in points]
    values = [p.streak for p in points]
    axes.step(days, values, where="mid", color=colour, linewidth=2)
    axes.fill_between(days, values, step="mid", color=colour, alpha=0.12)
    top = max(values, default=0)
    axes.set_ylim(0, max(5, top + 1))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(title, loc="left", fontsize=11)
    if points:
        _date_axis(axes, Window(points[0].day, points[-1].day))
    return _png(figure)


def trend_png(trend: ScoreTrend, window: Window) -> bytes:
    figure, axes = _figure()
    bands = load_data_toml("results.toml")["bands"]
    fills = _config()["score_bands"]
    ordered = sorted(bands.items(), key=lambda item: item[1])
    for index, (name, low) in enumerate(ordered):
        high = ordered[index + 1][1] if index + 1 < len(ordered) else 100
        axes.axhspan(low, high, color=fills[name], zorder=0)
        axes.text(
            1.005,
            (low + high) / 2,
            name,
            transform=axes.get_yaxis_transform(),
            fontsize=7,
            va="center",
            color="#5f6b7a",
        )
    days = [p.day for p in trend.points]
    scores = [p.score for p in trend.points]
    colour = _config()["colours"]["line"]
    axes.plot(days, scores, color=colour, linewidth=2, marker="o", markersize=5)
    for day, score in zip(days, scores, strict=True):
        axes.annotate(
            str(score),
            (day, score),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    axes.set_ylim(0, 100)
    axes.set_title(f"{trend.name}: score over time", loc="left", fontsize=11)
    _date_axis(axes, window)
    return _png(figure)


def chart_png(
    db: sqlite_utils.Database,
    profile_id: int,
    kind: str,
    *,
    days: int | None = None,
    today: date | None = None,
    test: int | None = None,
) -> bytes:
    """One chart as PNG bytes: `streak`, `completion`, or `scores` (one test's trend;
    the first key test when `test` is None)."""
    if kind == "completion":
        return completion_png(completion_bars(db, profile_id, days=days, today=today))
    if kind == "streak":
        return streak_png(streak_series(db, profile_id, days=days, today=today))
    if kind == "scores":
        window = chart_window(days, today=today)
        wanted = [test] if test is not None else key_tests(db, profile_id, today=today)
        trends = score_trends(db, profile_id, days=days, today=today, tests=wanted)
        if not trends:
            raise UsageError("No valid scores in this period to draw.")
        return trend_png(trends[0], window)
    raise UsageError(f"Unknown chart {kind!r}: choose one of {', '.join(KINDS)}.")


def chart_data(
    db: sqlite_utils.Database,
    profile_id: int,
    kind: str,
    *,
    days: int | None = None,
    today: date | None = None,
    test: int | None = None,
) -> list[dict[str, Any]]:
    """The numbers behind a chart, JSON-ready (dates as ISO strings)."""
    if kind == "completion":
        items: list[Any] = completion_bars(db, profile_id, days=days, today=today)
    elif kind == "streak":
        items = streak_series(db, profile_id, days=days, today=today)
    elif kind == "scores":
        wanted = [test] if test is not None else None
        trends = score_trends(db, profile_id, days=days, today=today, tests=wanted)
        return [
            {
                "test_id": t.test_id,
                "slug": t.slug,
                "name": t.name,
                "points": [_plain(p) for p in t.points],
            }
            for t in trends
        ]
    else:
        raise UsageError(f"Unknown chart {kind!r}: choose one of {', '.join(KINDS)}.")
    return [_plain(item) for item in items]


def _plain(item: Any) -> dict[str, Any]:
    data = asdict(item)
    if isinstance(item, CompletionBar):
        data["colour"] = item.colour
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def write_png(path: Path, png: bytes) -> Path:
    """Write a chart atomically; the file name must end in .png."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise UsageError(f"Charts are PNG files: {path.name} should end in .png")
    return atomic_write_bytes(path, png)
