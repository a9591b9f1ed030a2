"""Terminal charts (textual-plotext) over the core's chart data (`flowlogic.charts`):
score trend per test, daily completion bars, streak line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from plotext import _utility as plotext_utility
from textual_plotext import PlotextPlot

from flowlogic.charts import CompletionBar, ScoreTrend, StreakPoint, Window


def _stable_no_duplicates(data):
    return list(dict.fromkeys(data))


# plotext removes duplicate points through a set, so the drawing order of tick labels (and
# which one wins where two touch) changes with Python's hash seed from run to run. The same
# function keeping first occurrences makes every drawing repeatable.
plotext_utility.no_duplicates = _stable_no_duplicates

BAND_COLOURS = {"full": "green", "partial": "yellow", "low": "red", "none": "gray"}


class Chart(PlotextPlot):
    """A plot that draws itself again, from scratch, whenever its size changes (plotext
    keeps state between builds; redrawing at the final size keeps the output stable)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._painter: Callable[[PlotextPlot], None] | None = None

    def paint(self, painter: Callable[[PlotextPlot], None]) -> None:
        self._painter = painter
        painter(self)

    def on_resize(self) -> None:
        if self._painter is not None:
            self._painter(self)


def _ticks(days: Sequence[date], start: date, most: int = 6) -> tuple[list[int], list[str]]:
    if not days:
        return [], []
    step = max(1, len(days) // most)
    chosen = list(days)[::step]
    return [(d - start).days for d in chosen], [d.strftime("%d %b") for d in chosen]


def draw_trend(chart: PlotextPlot, trend: ScoreTrend | None, window: Window) -> None:
    plt = chart.plt
    plt.clear_data()
    plt.clear_figure()
    if trend is None or not trend.points:
        plt.title("No valid scores in this period yet")
        chart.refresh()
        return
    days = [p.day for p in trend.points]
    xs = [(d - window.start).days for d in days]
    plt.plot(xs, [p.score for p in trend.points], marker="braille")
    plt.scatter(xs, [p.score for p in trend.points], marker="●")
    plt.ylim(0, 100)
    plt.xlim(0, max(1, window.days - 1))
    ticks, labels = _ticks(days, window.start)
    plt.xticks(ticks, labels)
    plt.title(f"{trend.name}: score over the last {window.days} days")
    chart.refresh()


def draw_completion(chart: PlotextPlot, bars: list[CompletionBar]) -> None:
    plt = chart.plt
    plt.clear_data()
    plt.clear_figure()
    if not bars:
        chart.refresh()
        return
    start = bars[0].day
    for band, colour in BAND_COLOURS.items():  # one series per colour band
        chosen = [b for b in bars if b.band == band and b.fraction is not None]
        if chosen:
            xs = [(b.day - start).days for b in chosen]
            plt.bar(xs, [round(b.fraction * 100) for b in chosen], color=colour, width=0.6)
    plt.xlim(-1, len(bars))
    plt.ylim(0, 100)
    ticks, labels = _ticks([b.day for b in bars], start)
    plt.xticks(ticks, labels)
    plt.title("Daily completion %")
    chart.refresh()


def draw_streak(chart: PlotextPlot, points: list[StreakPoint]) -> None:
    plt = chart.plt
    plt.clear_data()
    plt.clear_figure()
    if not points:
        chart.refresh()
        return
    start = points[0].day
    xs = [(p.day - start).days for p in points]
    plt.plot(xs, [p.streak for p in points], marker="braille")
    top = max(3, max(p.streak for p in points) + 1)
    plt.ylim(0, top)
    plt.yticks(list(range(0, top + 1, max(1, top // 5))))
    ticks, labels = _ticks([p.day for p in points], start)
    plt.xticks(ticks, labels)
    plt.title("Streak (days ≥ 70 %)")
    chart.refresh()
