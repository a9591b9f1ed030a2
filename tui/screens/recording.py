"""Recording: the camera in the terminal with the skeleton, a framing guide and live
guidance; Enter starts a 3 s countdown, then recording with elapsed / remaining time;
Enter stops (or the time limit). Pose estimation runs in the recorder's worker thread,
so this screen only draws: frames are skipped for display, never for analysis."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from flowlogic.assess import prepare_attempt
from flowlogic.catalog import TestSpec
from flowlogic.errors import FlowLogicError
from flowlogic.recording import CameraChoice, LiveState, Phase, Recorder
from flowlogic.recording import settings as recording_settings
from flowlogic.tui.screens.common import AppScreen
from flowlogic.tui.widgets.camera_view import CameraView

REFRESH_HZ = 15
LAG_FRAMES = 8  # analysis this many frames behind the camera: draw less often
LAGGING_HZ = 3

#: Builds the recorder (tests inject a scripted one); same arguments as `Recorder`.
RecorderFactory = Callable[..., Recorder]


class RecordingScreen(AppScreen):
    SECTION = "Recording"
    AUTO_FOCUS = ""  # keys go to the screen (Enter, Esc, q), not to a field
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "primary", "Start / stop", priority=True),
        Binding("space", "primary", "Start / stop", show=False),
        Binding("escape", "cancel", "Cancel"),
    ]
    HELP = (
        ("Enter / Space", "start the 3 s countdown; while recording, stop and score"),
        ("Esc", "cancel: nothing is saved, the attempt is not counted"),
    )
    recorder_factory: RecorderFactory = Recorder

    def __init__(self, spec: TestSpec) -> None:
        super().__init__()
        self.spec = spec
        self.recorder: Recorder | None = None
        self._shown_seq = -1
        self._drawn_at = 0.0
        self._finished = False

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with Horizontal(id="rec-body"):
            yield CameraView(id="rec-camera")
            with Vertical(id="rec-side"):
                yield Static(self.spec.name, classes="title")
                yield Static(id="rec-phase")
                yield Static(id="rec-big")
                yield Static(id="rec-time")
                yield Static(id="rec-guidance")
                yield Static(id="rec-keys", classes="muted")
                yield Input(placeholder="camera number or video file", id="rec-camera-input")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self._open(self.flow.camera)
        self.set_interval(1 / REFRESH_HZ, self._tick)

    # -- the recorder ---------------------------------------------------------------------
    def _open(self, camera: CameraChoice) -> None:
        self._finished = False
        try:
            attempt = prepare_attempt(self.flow.db, self.spec.id)
        except FlowLogicError as error:
            self._refused(error.message)
            return
        kwargs = {"db_path": self.flow.db_path}
        if self.flow.backend_factory is not None:
            kwargs["backend_factory"] = self.flow.backend_factory
        if self.flow.countdown_s is not None:
            kwargs["countdown_s"] = self.flow.countdown_s
        self.recorder = type(self).recorder_factory(attempt, camera, **kwargs)
        self.recorder.open()

    def _refused(self, message: str) -> None:
        self._finished = True
        self.query_one("#rec-phase", Static).update(Text("Can't record now", style="bold yellow"))
        self.query_one("#rec-guidance", Static).update(message)
        self.query_one("#rec-keys", Static).update("Esc: back")

    @property
    def busy_message(self) -> str | None:  # type: ignore[override]
        if self.recorder and self.recorder.phase in (Phase.COUNTDOWN, Phase.RECORDING):
            return "Recording — press Enter to stop or Esc to cancel first."
        if self.recorder and self.recorder.phase is Phase.SCORING:
            return "Scoring — one moment."
        return None

    def discard_recording(self) -> None:
        """Quit or leave: cancel and wait, so nothing is half-saved."""
        if self.recorder is not None and not self.recorder.phase.finished:
            self.recorder.close()

    def leave_section(self) -> None:
        """Another section was chosen during the preview: stop the camera, go back."""
        self.discard_recording()
        self._finished = True
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.discard_recording()

    # -- drawing ---------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.recorder is None or self._finished:
            return
        state = self.recorder.state()
        if state.frame_seq != self._shown_seq and state.frame is not None and self._draw_now(state):
            self._shown_seq = state.frame_seq
            self._drawn_at = time.monotonic()
            self.query_one(CameraView).show(state.frame, state.landmarks)
        self._show_state(state)
        if state.phase is Phase.DONE and self.recorder.outcome is not None:
            self._finished = True
            from flowlogic.tui.screens.result import ResultScreen

            outcome = self.recorder.outcome.to_dict()
            self.app.switch_screen(ResultScreen(outcome, recorded=True))
        elif state.phase in (Phase.FAILED, Phase.CANCELLED):
            self._finished = True
            self._show_failure(state)

    def _draw_now(self, state: LiveState) -> bool:
        """While the analysis falls behind the camera, draw less often: the pose model
        gets the CPU and the result is ready sooner (display frames are dropped, never
        analysed ones)."""
        if state.phase is not Phase.RECORDING:
            return True
        behind = state.frames_recorded - state.frames_analysed
        if behind <= LAG_FRAMES:
            return True
        return time.monotonic() - self._drawn_at >= 1 / LAGGING_HZ

    def _show_state(self, state: LiveState) -> None:
        phase = self.query_one("#rec-phase", Static)
        big = self.query_one("#rec-big", Static)
        clock_text = self.query_one("#rec-time", Static)
        guidance = self.query_one("#rec-guidance", Static)
        keys = self.query_one("#rec-keys", Static)
        limit = self.spec.duration_limit_s
        if state.phase is Phase.OPENING:
            phase.update(Text(f"Opening {self.flow.camera.label}…", style="bold"))
            keys.update("Esc: cancel")
            return
        if state.phase in (Phase.PREVIEW, Phase.COUNTDOWN):
            style = "bold green" if state.guidance.ready else "bold yellow"
            words = state.guidance.text
            if state.phase is Phase.COUNTDOWN and state.guidance.ready:
                words = recording_settings()["guidance"]["ready_countdown"]
            guidance.update(Text(words, style=style))
            clock_text.update(f"Time limit {limit:.0f} s")
        if state.phase is Phase.PREVIEW:
            phase.update(Text("Get into position", style="bold"))
            big.update("")
            keys.update("Enter: start (3 s countdown)\nEsc: cancel")
        elif state.phase is Phase.COUNTDOWN:
            phase.update(Text("Get ready…", style="bold"))
            seconds = max(1, int(state.countdown_left_s + 0.999)) if state.countdown_left_s else 1
            big.update(Text(str(seconds), style="bold magenta"))
            keys.update("Enter: not yet\nEsc: cancel")
        elif state.phase is Phase.RECORDING:
            phase.update(Text("● Recording", style="bold red"))
            big.update(Text(f"{state.elapsed_s:4.1f} s", style="bold"))
            line = Text(f"{state.remaining_s:4.1f} s left of {limit:.0f} s")
            if state.almost_up:
                line.append(f"\n{recording_settings()['messages']['almost_up']}", "bold yellow")
            clock_text.update(line)
            guidance.update(Text("Do the movement now.", style="bold"))
            keys.update("Enter: stop and score\nEsc: cancel")
        elif state.phase is Phase.SCORING:
            phase.update(Text("Scoring…", style="bold"))
            big.update("")
            guidance.update(f"{state.frames_analysed} of {state.frames_recorded} frames analysed")
            keys.update("")

    def _show_failure(self, state: LiveState) -> None:
        cancelled = state.phase is Phase.CANCELLED
        self.query_one("#rec-phase", Static).update(
            Text("Cancelled" if cancelled else "Recording stopped", style="bold yellow")
        )
        self.query_one("#rec-big", Static).update("")
        self.query_one("#rec-guidance", Static).update(state.message or "")
        self.query_one("#rec-keys", Static).update(
            "Enter: try again\nType another camera number or a video file below and press "
            "Enter to use it\nEsc: back"
        )
        field = self.query_one("#rec-camera-input", Input)
        field.display = True
        field.focus()

    # -- keys ------------------------------------------------------------------------------
    def action_primary(self) -> None:
        field = self.query_one("#rec-camera-input", Input)
        if field.display and field.has_focus and field.value.strip():
            self._use_camera(field.value.strip())
            return
        if self.recorder is None:
            return
        phase = self.recorder.phase
        if phase in (Phase.OPENING, Phase.PREVIEW):
            self.recorder.start()
        elif phase in (Phase.COUNTDOWN, Phase.RECORDING):
            self.recorder.stop()
        elif phase in (Phase.FAILED, Phase.CANCELLED):
            self._restart(self.flow.camera)

    def _use_camera(self, text: str) -> None:
        try:
            choice = CameraChoice.parse(text)
        except FlowLogicError as error:
            self.query_one("#rec-guidance", Static).update(error.message)
            return
        self.flow.camera_override = choice
        self._restart(choice)

    def _restart(self, camera: CameraChoice) -> None:
        if self.recorder is not None:
            self.recorder.close()
        field = self.query_one("#rec-camera-input", Input)
        field.display = False
        field.value = ""
        self.query_one(CameraView).clear()
        self._shown_seq = -1
        self._open(camera)

    def action_cancel(self) -> None:
        if self.recorder is not None and not self.recorder.phase.finished:
            self.recorder.close()
        self._finished = True
        self.app.pop_screen()
