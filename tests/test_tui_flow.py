"""The terminal app driven like a person drives it (Textual's Pilot): a whole test from a
clip replayed as the camera to the result screen, what was stored, and the robustness
cases (quit mid-recording, a lost or missing camera, a tiny terminal, caps, locked tests,
ticking a task off)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from flowlogic import clock, consent, paths, plans, profiles
from flowlogic.recording import CameraChoice, Phase, videos_dir
from flowlogic.store import open_db
from flowlogic.tui.app import build_app
from flowlogic.tui.screens import tests as test_screens
from flowlogic.tui.screens.common import TooSmallScreen
from flowlogic.tui.screens.first_run import DisclaimerScreen, ProfileSetupScreen
from flowlogic.tui.screens.plan import PlanScreen
from flowlogic.tui.screens.recording import RecordingScreen
from flowlogic.tui.screens.result import ResultScreen
from tests.conftest import SAMPLE
from tests.fake_cameras import LostCamera
from tests.history import outcome, store

SIZE = (110, 36)


def run(coroutine):
    return asyncio.run(coroutine)


async def wait_for(pilot, condition, timeout_s: float = 120.0) -> bool:
    """Let the app run until `condition()` holds (the recorder works in real time)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


def assessments_rows() -> list[dict]:
    return list(open_db().query("SELECT * FROM assessments"))


def ready_profile(name: str = "Alex"):
    db = open_db()
    consent.accept(db)
    person = profiles.add(db, name)
    profiles.use(db, name)
    return db, person


def planned_profile(monkeypatch, tier: str):
    """A profile on `tier` with one overhead squat showing knee valgus: a plan to follow."""
    monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: tier)
    db, person = ready_profile()
    store(
        db,
        person.id,
        clock.today(),
        outcome(4, score=70, bucket="compensation", flags=[("knee_valgus", "left", "moderate")]),
    )
    return person


async def record_overhead_squat(pilot, app) -> None:
    """From the dashboard: tests → overhead squat → camera → start → wait for the result."""
    await pilot.press("t")
    assert isinstance(app.screen, test_screens.TestsScreen)
    await pilot.press("enter")  # the overhead squat is the first test of the Free plan
    assert isinstance(app.screen, test_screens.TestDetailScreen)
    assert app.screen.spec.slug == "overhead-squat"
    await pilot.press("enter")
    assert isinstance(app.screen, RecordingScreen)
    recorder = app.screen.recorder
    assert await wait_for(pilot, lambda: recorder.phase is Phase.PREVIEW, 60)
    await pilot.press("enter")  # start: countdown, then the clip from its first frame
    assert await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen), 180)


def test_new_user_takes_the_overhead_squat_from_the_bundled_sample():
    async def scenario():
        app = build_app(camera=CameraChoice.parse(SAMPLE), countdown_s=0.3)
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.screen, DisclaimerScreen)
            await pilot.press("t")  # section keys do nothing before the disclaimer
            assert isinstance(app.screen, DisclaimerScreen)
            await pilot.press("a")
            assert isinstance(app.screen, ProfileSetupScreen)
            await pilot.press(*"Robin", "enter")
            await pilot.pause()
            assert app.current_mode == "dashboard" and app.ready
            await record_overhead_squat(pilot, app)
            shown = app.screen.outcome
            await pilot.press("h")
            history_rows = app.screen.query_one("DataTable").row_count
        return shown, history_rows

    shown, history_rows = run(scenario())
    rows = assessments_rows()
    assert len(rows) == 1 and history_rows == 1
    row = rows[0]
    assert row["source"] == "record" and row["status"] == "valid"
    assert shown["status"] == "valid" and shown["assessment_id"] == row["id"]
    assert shown["video"]["frames"] == 65  # the whole clip, from its first frame
    assert profiles.find(open_db(), "Robin").id == row["profile_id"]
    video = Path(row["video_path"])
    assert video.is_file() and video.parent == videos_dir()
    assert sorted(p.name for p in videos_dir().iterdir()) == [video.name]  # nothing partial
    assert consent.accepted(open_db())


@pytest.mark.footage
def test_real_front_clip_replayed_to_a_valid_result(footage):
    clip = footage("overhead_squat/ohsquat_IMG7027_front.mov")
    ready_profile()

    async def scenario():
        app = build_app(camera=CameraChoice.parse(clip), countdown_s=0.3)
        async with app.run_test(size=SIZE) as pilot:
            await record_overhead_squat(pilot, app)
            text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            return app.screen.outcome, text

    shown, text = run(scenario())
    row = assessments_rows()[0]
    assert row["status"] == "valid" and shown["view"] == "front"
    result = (
        open_db()
        .execute("SELECT score, bucket FROM results WHERE assessment_id = ?", [row["id"]])
        .fetchone()
    )
    assert result == (shown["result"]["score"], shown["result"]["bucket"])
    assert f"{result[0]}" in text and result[1] in text  # what was stored is what is shown


def test_quitting_mid_recording_saves_nothing():
    ready_profile()

    async def scenario():
        app = build_app(camera=CameraChoice.parse(SAMPLE), countdown_s=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "enter", "enter")
            recorder = app.screen.recorder
            await wait_for(pilot, lambda: recorder.phase is Phase.PREVIEW, 60)
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: recorder.state().frames_recorded >= 5, 60)
            await pilot.press("t")  # section keys are refused while recording
            assert isinstance(app.screen, RecordingScreen)
            await pilot.press("q")
            await pilot.pause()
            phase_after_quit = recorder.phase
        return phase_after_quit

    phase_after_quit = run(scenario())
    assert phase_after_quit is Phase.CANCELLED  # q itself cancelled it, not the test's end
    assert assessments_rows() == []
    assert list(videos_dir().iterdir()) == []


def test_a_lost_camera_says_so_and_counts_nothing():
    ready_profile()

    async def scenario():
        app = build_app(camera=LostCamera(good=150), countdown_s=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "enter", "enter")
            recorder = app.screen.recorder
            await wait_for(pilot, lambda: recorder.phase is Phase.PREVIEW, 30)
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: recorder.state().frames_recorded > 0, 30)
            assert await wait_for(pilot, lambda: recorder.phase is Phase.FAILED, 30)
            await pilot.pause(0.3)
            guidance = str(app.screen.query_one("#rec-guidance").render())
            field_shown = app.screen.query_one("#rec-camera-input").display
        return guidance, field_shown

    guidance, field_shown = run(scenario())
    assert "not counted" in guidance
    assert field_shown  # offers another camera or a file
    assert assessments_rows() == []
    assert list(videos_dir().iterdir()) == []


def test_no_camera_offers_another_one():
    ready_profile()

    async def scenario():
        app = build_app(camera=CameraChoice(index=97), countdown_s=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "enter", "enter")
            screen = app.screen
            assert await wait_for(pilot, lambda: screen.recorder.phase is Phase.FAILED, 30)
            await pilot.pause(0.3)
            before = str(screen.query_one("#rec-guidance").render())
            screen.query_one("#rec-camera-input").focus()
            await pilot.press(*str(SAMPLE), "enter")
            ok = await wait_for(pilot, lambda: screen.recorder.phase is Phase.PREVIEW, 60)
            screen.discard_recording()
        return before, ok

    before, previewing = run(scenario())
    assert "No camera could be opened" in before
    assert previewing


def test_a_tiny_terminal_asks_for_a_larger_window_and_recovers():
    ready_profile()

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.resize_terminal(40, 12)
            await pilot.pause()
            small = isinstance(app.screen, TooSmallScreen)
            await pilot.press("t")  # nothing happens behind the message
            await pilot.resize_terminal(*SIZE)
            await pilot.pause()
            return small, type(app.screen).__name__

    small, after = run(scenario())
    assert small
    assert after == "DashboardScreen"


def test_a_locked_test_is_not_opened():
    ready_profile()

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t")
            table = app.screen.query_one("DataTable")
            table.move_cursor(row=table.row_count - 1)  # the last row: a Pro+ test
            await pilot.press("enter")
            await pilot.pause()
            return type(app.screen).__name__, [n.message for n in app._notifications]

    screen, messages = run(scenario())
    assert screen == "TestsScreen"
    assert any("is part of Pro+" in m for m in messages)


def test_the_daily_attempt_cap_is_shown_before_the_camera_opens():
    db, person = ready_profile()
    for _ in range(3):
        store(db, person.id, clock.today(), outcome(4, score=None))

    async def scenario():
        app = build_app(camera=CameraChoice.parse(SAMPLE))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "enter", "enter")
            await pilot.pause()
            return app.screen.recorder, str(app.screen.query_one("#rec-guidance").render())

    recorder, message = run(scenario())
    assert recorder is None  # the camera never opened
    assert message.startswith("Max attempts for this test reached. Try again tomorrow.")


def test_ticking_a_task_off_on_basic(monkeypatch):
    person = planned_profile(monkeypatch, "basic")

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("p")
            assert isinstance(app.screen, PlanScreen)
            first = app.screen.tasks[0]
            await pilot.press("space")
            await pilot.pause()
            summary = str(app.screen.query_one("#today-summary").render())
            return first, summary

    first, summary = run(scenario())
    tasks = plans.tasks_for_day(open_db(), person.id, clock.today())
    assert next(t for t in tasks if t.id == first.id).done
    assert summary.startswith("1 of ")


def test_section_keys_reach_every_section():
    ready_profile()

    async def scenario():
        app = build_app()
        seen = {}
        async with app.run_test(size=SIZE) as pilot:
            for key in "thpsod":
                await pilot.press(key)
                seen[key] = type(app.screen).__name__
            await pilot.press("question_mark")
            seen["?"] = type(app.screen).__name__
        return seen

    assert run(scenario()) == {
        "t": "TestsScreen",
        "h": "HistoryScreen",
        "p": "PlanScreen",
        "s": "SettingsScreen",
        "o": "ProfilesScreen",
        "d": "DashboardScreen",
        "?": "HelpScreen",
    }


def test_profiles_add_and_switch():
    ready_profile()

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("o", "a", *"Client Two", "enter")
            await pilot.pause()
            table = app.screen.query_one("DataTable")
            names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            row = names.index("Client Two")
            table.move_cursor(row=row)
            await pilot.press("enter")
            return names, app.profile.name

    names, active = run(scenario())
    assert "Client Two" in names
    assert active == "Client Two"
    assert profiles.active(open_db()).name == "Client Two"


def test_video_retention_set_in_settings():
    ready_profile()

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            field = app.screen.query_one("#retention")
            field.focus()
            field.value = ""
            await pilot.press("3", "0", "enter")
            await pilot.pause()

    run(scenario())
    from flowlogic.recording import retention_days

    assert retention_days(open_db()) == 30


def test_pro_plus_reflection_after_a_complete_day(monkeypatch):
    person = planned_profile(monkeypatch, "proplus")

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("p")
            screen = app.screen
            hidden_before = not screen.query_one("#reflect-input").display
            for index in range(len(screen.tasks)):
                screen.query_one("#today-tasks").highlighted = index
                await pilot.press("space")
                await pilot.pause()
            field = screen.query_one("#reflect-input")
            shown_after = field.display
            field.focus()
            await pilot.press(*"8 felt easy", "enter")
            await pilot.pause()
            return hidden_before, shown_after

    hidden_before, shown_after = run(scenario())
    assert hidden_before and shown_after  # the prompt appears once the day is done
    saved = plans.reflections(open_db(), person.id)
    assert [(r.rating, r.note) for r in saved] == [(8, "felt easy")]


def test_settings_export_then_delete_with_confirmation():
    db, person = ready_profile("Leaving")
    store(db, person.id, clock.today(), outcome(4, score=80))

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            screen = app.screen
            screen.query_one("#export").press()
            await pilot.pause()
            exported = [p.name for p in (paths.home() / "exports").glob("*.json")]
            screen.query_one("#delete").press()
            await pilot.pause()
            asked = type(app.screen).__name__
            await pilot.press("n")  # the first time: no
            await pilot.pause()
            still_there = profiles.find(open_db(), "Leaving", missing_ok=True) is not None
            screen.query_one("#delete").press()
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            return exported, asked, still_there

    exported, asked, still_there = run(scenario())
    assert exported and exported[0].lower().startswith("flowlogic-leaving-")
    assert asked == "ConfirmScreen" and still_there
    assert profiles.find(open_db(), "Leaving", missing_ok=True) is None
    assert assessments_rows() == []


def test_bad_form_input_is_refused_on_screen_and_stores_nothing():
    """TUI forms: a profile name with a path or control characters, and a retention that
    is not a number of days, are refused with a message; nothing is created or changed."""
    ready_profile()

    async def scenario():
        app = build_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("o", "a", *"../evil", "enter")
            await pilot.pause()
            profile_screen_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            await pilot.press("escape", "s")
            field = app.screen.query_one("#retention")
            field.focus()
            field.value = ""
            await pilot.press(*"-3", "enter")
            await pilot.pause()
            settings_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            return profile_screen_text, settings_text

    profile_text, settings_text = run(scenario())
    from flowlogic.recording import retention_days

    names = [p.name for p in profiles.list_all(open_db())]
    assert not any("evil" in name for name in names)
    assert "Invalid profile name" in profile_text
    assert retention_days(open_db()) == 90  # unchanged default
    assert "days" in settings_text.lower()
