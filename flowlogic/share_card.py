"""The share card (PRODUCT.md §7, Pro+): a PNG with the streak, completion and
improvements. It carries no personal data (no name, e-mail, birth year, scores of
individual attempts or dates of birth) unless the user asks for the name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from flowlogic import charts, clock, profiles
from flowlogic.catalog import find_test
from flowlogic.errors import UsageError
from flowlogic.outfiles import atomic_write_bytes, printable, safe_name

CARD_PX = (1200, 630)  # the usual link-preview size
DPI = 100
MAX_IMPROVEMENTS = 3


@dataclass(frozen=True)
class Improvement:
    test_name: str
    change_pct: float  # score change against the baseline, in %


@dataclass(frozen=True)
class ShareCard:
    day: date
    current_streak: int
    longest_streak: int
    points: int
    completion_7d: float | None  # mean share of tasks done on (settled) days with tasks
    completion_30d: float | None
    bars: tuple[charts.CompletionBar, ...]  # the last 30 days, for the strip
    improvements: tuple[Improvement, ...]
    badges: int
    name: str | None = None


def mean_completion(
    bars: list[charts.CompletionBar] | tuple[charts.CompletionBar, ...],
) -> float | None:
    done = [b.fraction for b in bars if b.fraction is not None]
    return sum(done) / len(done) if done else None


def settled_days(bars: list[charts.CompletionBar], today: date) -> list[charts.CompletionBar]:
    """The days that count for averages: every day before today, and today once it
    already reaches the streak mark (an open day is not a bad day yet, as for streaks)."""
    return [b for b in bars if b.day < today or b.band in ("full", "partial")]


def card_data(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    today: date | None = None,
    with_name: bool = False,
) -> ShareCard:
    from flowlogic import plans

    today = today or clock.today()
    streak = plans.streaks(db, profile_id, today)
    bars = charts.completion_bars(db, profile_id, days=30, today=today)
    settled = settled_days(bars, today)
    last_week = [b for b in settled if b.day > today - timedelta(days=7)]
    improvements = sorted(
        (
            Improvement(find_test(p.test_id).name, float(p.change_pct))
            for p in plans.progress(db, profile_id, today)
            if p.change_pct is not None and p.change_pct > 0
        ),
        key=lambda item: -item.change_pct,
    )[:MAX_IMPROVEMENTS]
    return ShareCard(
        day=today,
        current_streak=int(streak.current),
        longest_streak=int(streak.longest),
        points=int(streak.points),
        completion_7d=mean_completion(last_week),
        completion_30d=mean_completion(settled),
        bars=tuple(bars),
        improvements=tuple(improvements),
        badges=len(plans.badges(db, profile_id, today=today)),
        name=printable(profiles.get(db, profile_id).name) if with_name else None,
    )


def render(card: ShareCard) -> bytes:
    """The card as PNG bytes (matplotlib's Agg canvas, imported here only)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    width, height = CARD_PX
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    figure.patch.set_facecolor("#10324a")
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    white, soft, accent = "#ffffff", "#b8d4e6", "#7fd1a0"

    ax.text(60, 565, "Flow Logic", color=white, fontsize=30, fontweight="bold", va="center")
    subtitle = f"{card.name} · " if card.name else ""
    ax.text(60, 520, f"{subtitle}{card.day:%d %b %Y}", color=soft, fontsize=16, va="center")

    tiles = [
        (f"{card.current_streak}", "day streak", f"longest {card.longest_streak}"),
        (_pct(card.completion_7d), "tasks done, 7 days", f"30 days: {_pct(card.completion_30d)}"),
        (f"{card.badges}", "badges", f"{card.points} points"),
    ]
    for index, (value, label, note) in enumerate(tiles):
        x = 60 + index * 240
        ax.add_patch(
            FancyBboxPatch(
                (x, 250),
                215,
                220,
                boxstyle="round,pad=0,rounding_size=18",
                facecolor="#1b4a68",
                edgecolor="none",
            )
        )
        ax.text(
            x + 107,
            390,
            value,
            color=white,
            fontsize=46,
            fontweight="bold",
            ha="center",
            va="center",
        )
        ax.text(x + 107, 318, label, color=soft, fontsize=15, ha="center", va="center")
        ax.text(x + 107, 280, note, color=soft, fontsize=12, ha="center", va="center")

    ax.text(790, 450, "Improvements", color=white, fontsize=19, fontweight="bold", va="center")
    if card.improvements:
        for row, item in enumerate(card.improvements):
            y = 395 - row * 55
            ax.text(790, y, _short(item.test_name), color=white, fontsize=15, va="center")
            ax.text(
                1140,
                y,
                f"+{item.change_pct:.0f}%",
                color=accent,
                fontsize=17,
                fontweight="bold",
                ha="right",
                va="center",
            )
    else:
        ax.text(790, 395, "Retest to see your progress", color=soft, fontsize=14, va="center")

    _completion_strip(ax, card.bars, x0=60, y0=70, width=1080, height=120)
    ax.text(60, 210, "Last 30 days", color=soft, fontsize=13, va="center")
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def _completion_strip(ax, bars, *, x0: float, y0: float, width: float, height: float) -> None:
    from matplotlib.patches import Rectangle

    if not bars:
        return
    step = width / len(bars)
    for index, bar in enumerate(bars):
        share = 0.04 if bar.fraction is None else max(0.04, bar.fraction)
        ax.add_patch(
            Rectangle(
                (x0 + index * step + step * 0.12, y0),
                step * 0.76,
                height * share,
                facecolor=bar.colour,
                edgecolor="none",
            )
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_share_card(
    db: sqlite_utils.Database,
    profile_id: int,
    out: Path | None = None,
    *,
    with_name: bool = False,
    today: date | None = None,
) -> Path:
    """Render the card and write it atomically (default `./share-card-YYYY-MM-DD.png`)."""
    card = card_data(db, profile_id, today=today, with_name=with_name)
    target = Path(out) if out else Path(f"share-card-{safe_name(card.day.isoformat())}.png")
    if target.suffix.lower() != ".png":
        raise UsageError(f"The share card is a PNG file: {target.name} should end in .png")
    return atomic_write_bytes(target, render(card))
