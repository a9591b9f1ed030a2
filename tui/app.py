"""The Flow Logic terminal app: sections (modes), global keys, first run, small terminals.

Every number and rule comes from the core (`flowlogic.*`); screens only show it and pass
key presses on. `build_app()` is the factory the tests use (a database path, a camera, a
pose backend can be injected); `run()` is what `flowlogic tui` calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import sqlite_utils
from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from flowlogic import consent, profiles, tiers
from flowlogic.errors import FlowLogicError
from flowlogic.pose.backend import PoseBackend
from flowlogic.pose.quiet import native_logs_to_file
from flowlogic.profiles import Profile
from flowlogic.recording import CameraChoice, purge_expired_videos
from flowlogic.store import open_db
from flowlogic.tui.screens.common import TooSmallScreen
from flowlogic.tui.screens.dashboard import DashboardScreen
from flowlogic.tui.screens.first_run import DisclaimerScreen
from flowlogic.tui.screens.help import HelpScreen
from flowlogic.tui.screens.history import HistoryScreen
from flowlogic.tui.screens.plan import PlanScreen
from flowlogic.tui.screens.profiles import ProfilesScreen
from flowlogic.tui.screens.settings import SettingsScreen
from flowlogic.tui.screens.tests import TestsScreen

CAMERA_SETTING = "tui_camera"
MIN_WIDTH = 60
MIN_HEIGHT = 20


class FlowLogicApp(App):
    """Flow Logic in the terminal."""

    CSS_PATH = "flowlogic.tcss"
    TITLE = "Flow Logic"
    SUB_TITLE = "movement check-ups, at home"
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "dashboard": DashboardScreen,
        "tests": TestsScreen,
        "history": HistoryScreen,
        "plan": PlanScreen,
        "settings": SettingsScreen,
        "profiles": ProfilesScreen,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "section('dashboard')", "Dashboard"),
        Binding("t", "section('tests')", "Tests"),
        Binding("h", "section('history')", "History"),
        Binding("p", "section('plan')", "Plan"),
        Binding("s", "section('settings')", "Settings"),
        Binding("o", "section('profiles')", "Profiles"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        *,
        camera: CameraChoice | None = None,
        profile: str | None = None,
        db_path: Path | None = None,
        backend_factory: Callable[[], PoseBackend] | None = None,
        countdown_s: float | None = None,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.db: sqlite_utils.Database = open_db(db_path)
        self.camera_override = camera
        self.profile_override = profile
        self.backend_factory = backend_factory
        self.countdown_s = countdown_s
        self.ready = False  # disclaimer accepted and a profile chosen
        self._too_small = False

    # -- shared state the screens read --------------------------------------------------
    @property
    def profile(self) -> Profile:
        if self.profile_override:
            return profiles.find(self.db, self.profile_override) or profiles.active(self.db)
        return profiles.active(self.db)

    def use_profile(self, name: str) -> Profile:
        self.profile_override = None
        return profiles.use(self.db, name)

    @property
    def tier(self) -> tiers.Tier:
        return tiers.current_tier(self.db)

    @property
    def camera(self) -> CameraChoice:
        if self.camera_override is not None:
            return self.camera_override
        rows = list(self.db.query("SELECT value FROM settings WHERE key = ?", [CAMERA_SETTING]))
        if rows:
            try:
                return CameraChoice.parse(rows[0]["value"])
            except FlowLogicError:
                pass
        return CameraChoice(index=0)

    def save_camera(self, choice: CameraChoice) -> None:
        self.db["settings"].upsert({"key": CAMERA_SETTING, "value": choice.setting()}, pk="key")
        self.camera_override = None

    # -- lifecycle --------------------------------------------------------------------
    async def on_mount(self) -> None:
        purge_expired_videos(self.db)
        self.ready = bool(
            consent.accepted(self.db) and (self.profile_override or profiles.list_all(self.db))
        )
        await self.switch_mode("dashboard")
        if not self.ready:
            self.push_screen(DisclaimerScreen())
        self.call_after_refresh(lambda: self._check_size(self.size.width, self.size.height))

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        self._too_small = width < MIN_WIDTH or height < MIN_HEIGHT
        showing = any(isinstance(s, TooSmallScreen) for s in self.screen_stack)
        if self._too_small and not showing:
            self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))
        elif not self._too_small and showing and isinstance(self.screen, TooSmallScreen):
            self.pop_screen()

    def finish_first_run(self) -> None:
        self.ready = True
        self.switch_mode("dashboard")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        refresh = getattr(self.screen, "refresh_data", None)
        if refresh is not None:
            refresh()

    # -- actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        blocked = not self.ready or self._too_small
        return not (action in ("section", "help") and blocked)

    async def action_section(self, name: str) -> None:
        """Go to a section, at its start (its list, not a screen left open in it)."""
        busy = getattr(self.screen, "busy_message", None)
        if busy:
            self.notify(busy, severity="warning")
            return
        leave = getattr(self.screen, "leave_section", None)
        if leave is not None:
            leave()
        if self.current_mode != name:
            await self.switch_mode(name)
        while len(self.screen_stack) > 1:
            await self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        for screen in self.screen_stack:
            close = getattr(screen, "discard_recording", None)
            if close is not None:
                close()
        self.exit()

    def on_unmount(self) -> None:
        for screen in self.screen_stack:
            close = getattr(screen, "discard_recording", None)
            if close is not None:
                close()


def build_app(**kwargs) -> FlowLogicApp:
    return FlowLogicApp(**kwargs)


@contextmanager
def terminal_for_textual() -> Iterator[None]:
    """Textual draws on stderr; MediaPipe's native code also writes there. Give Textual
    its own copy of the terminal and send descriptor 2 to logs/native.log meanwhile."""
    if os.environ.get("FLOWLOGIC_DEBUG") or sys.__stderr__ is None:
        yield
        return
    try:
        terminal_fd = os.dup(sys.__stderr__.fileno())
    except (AttributeError, OSError, ValueError):
        yield
        return
    terminal = os.fdopen(terminal_fd, "w", buffering=1, encoding="utf-8", errors="replace")
    saved_dunder, saved_stderr = sys.__stderr__, sys.stderr
    with native_logs_to_file():
        sys.__stderr__ = sys.stderr = terminal
        try:
            yield
        finally:
            sys.__stderr__, sys.stderr = saved_dunder, saved_stderr
            terminal.close()


def run(*, camera: CameraChoice | None = None, profile: str | None = None) -> None:
    app = build_app(camera=camera, profile=profile)
    if profile:
        profiles.find(app.db, profile)  # an unknown name is refused before the screen opens
    with terminal_for_textual():
        app.run()
