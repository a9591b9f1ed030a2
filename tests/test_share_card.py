"""The share card (PRODUCT.md §7, Pro+): streak, completion, improvements; no name unless
asked for."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from typer.testing import CliRunner

from flowlogic import charts, consent, plans, profiles, share_card
from flowlogic.errors import UsageError
from flowlogic.store import open_db
from tests import history

TODAY = history.SCENARIO_START + timedelta(days=len(history.SCENARIO_SHARES) - 1)


@pytest.fixture
def tier(monkeypatch):
    def set_tier(key: str) -> None:
        monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: key)

    set_tier("free")
    return set_tier


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    with time_machine.travel(
        datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=20), tick=False
    ):
        database = open_db()
        consent.accept(database)
        yield database


@pytest.fixture
def scenario(db, tier):
    tier("proplus")
    return history.plan_scenario(db)


def _card(**overrides) -> share_card.ShareCard:
    window = charts.chart_window(30, today=TODAY)
    bars = charts.bars_from_series(window, [(d, 1.0) for d in window.each_day()[-5:]])
    values = dict(
        day=TODAY,
        current_streak=5,
        longest_streak=9,
        points=30,
        completion_7d=0.9,
        completion_30d=0.8,
        bars=tuple(bars),
        improvements=(share_card.Improvement("Overhead Squat", 25.8),),
        badges=3,
        name=None,
    )
    values.update(overrides)
    return share_card.ShareCard(**values)


def test_card_numbers_come_from_the_plan_history(db, scenario):
    person, done = scenario

    card = share_card.card_data(db, person.id, today=TODAY)

    streak = plans.streaks(db, person.id, TODAY)
    assert (card.current_streak, card.longest_streak, card.points) == (
        streak.current,
        streak.longest,
        streak.points,
    )
    runs, run = [], 0  # PRODUCT.md §7: a streak is consecutive days with at least 70 % done
    for share in done:
        run = run + 1 if share >= 0.7 else 0
        runs.append(run)
    assert (card.current_streak, card.longest_streak) == (runs[-1], max(runs))
    assert card.points == sum(2 if share == 1 else 1 if share >= 0.7 else 0 for share in done)
    days = [history.SCENARIO_START + timedelta(days=i) for i in range(len(done))]
    by_day = dict(zip(days, done, strict=True))
    last_week = [by_day[d] for d in days if d > TODAY - timedelta(days=7)]
    assert card.completion_7d == pytest.approx(sum(last_week) / len(last_week))
    assert card.completion_30d == pytest.approx(sum(done) / len(done))
    assert [(i.test_name, i.change_pct) for i in card.improvements] == [
        ("Overhead Squat", pytest.approx((78 - 62) / 62 * 100, abs=0.1))
    ]
    assert card.badges == len(plans.badges(db, person.id, today=TODAY)) > 0
    assert card.name is None


def test_today_counts_only_once_it_reaches_the_streak_mark():
    window = charts.chart_window(7, today=TODAY)
    yesterday = TODAY - timedelta(days=1)
    open_today = charts.bars_from_series(window, [(yesterday, 1.0), (TODAY, 0.25)])
    done_today = charts.bars_from_series(window, [(yesterday, 1.0), (TODAY, 0.75)])
    assert [b.day for b in share_card.settled_days(open_today, TODAY) if b.fraction] == [yesterday]
    assert share_card.mean_completion(share_card.settled_days(done_today, TODAY)) == 0.875


def test_the_name_appears_only_when_asked(db, scenario):
    person, _ = scenario
    assert share_card.card_data(db, person.id, today=TODAY).name is None
    named = share_card.card_data(db, person.id, today=TODAY, with_name=True)
    assert named.name == "Zoë Anne Müller"
    assert share_card.render(named) != share_card.render(dataclasses.replace(named, name=None))


def test_png_has_the_card_size_and_carries_no_text_metadata():
    png = share_card.render(_card(name="Sam Smith"))
    picture = Image.open(io.BytesIO(png))
    assert picture.size == share_card.CARD_PX
    assert not any("Sam" in str(v) for v in picture.info.values())
    assert "Software" not in picture.info


def test_completion_strip_shows_the_band_colours():
    window = charts.chart_window(30, today=TODAY)
    bars = charts.bars_from_series(window, [(TODAY - timedelta(days=2), 0.5)])
    png = share_card.render(_card(bars=tuple(bars)))
    red = tuple(int(charts._config()["colours"]["low"][i : i + 2], 16) for i in (1, 3, 5))
    pixels = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20)
    assert sum(n for n, colour in pixels if colour == red) > 100


def test_write_refuses_a_non_png_name(db, scenario, tmp_path):
    person, _ = scenario
    with pytest.raises(UsageError, match="PNG"):
        share_card.write_share_card(db, person.id, tmp_path / "card.jpg", today=TODAY)


def test_cli_share_card_is_pro_plus_only(db, scenario, tier, tmp_path):
    from flowlogic.cli.app import app

    person, _ = scenario
    out = tmp_path / "card.png"
    tier("pro")
    refused = CliRunner().invoke(app, ["share-card", "--profile", person.name, "--out", str(out)])
    assert refused.exit_code == 4
    assert "Pro+" in refused.output and not out.exists()

    tier("proplus")
    result = CliRunner().invoke(
        app, ["share-card", "--profile", person.name, "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == [str(out)]
    assert Image.open(out).size == share_card.CARD_PX


def test_a_profile_without_a_plan_gets_an_empty_but_honest_card(db, tier):
    tier("proplus")
    person = profiles.add(db, "New")
    card = share_card.card_data(db, person.id, today=TODAY)
    assert (card.current_streak, card.completion_7d, card.improvements) == (0, None, ())
    assert share_card.render(card).startswith(b"\x89PNG")
