"""Settings: licence (status, activate, upgrade link), the disclaimer, the camera (with a
test preview), how long videos are kept, and export / delete of this profile's data."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from flowlogic import consent, paths
from flowlogic.errors import FlowLogicError
from flowlogic.licence_state import licence_status
from flowlogic.recording import CameraChoice, CameraPreview, retention_days, set_retention_days
from flowlogic.tui.screens.common import AppScreen, ConfirmScreen
from flowlogic.tui.widgets.camera_view import CameraView

PREVIEW_HZ = 12


def _delete_function():
    """The core's "delete everything of a profile" (PRODUCT.md §10), when present."""
    try:
        from flowlogic.lifecycle import delete_profile
    except ImportError:
        return None
    return delete_profile


class SettingsScreen(AppScreen):
    SECTION = "Settings"
    AUTO_FOCUS = ""  # section keys work at once; Tab goes into the fields
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave_field", "Leave the field", show=False)
    ]
    HELP = (
        ("Tab", "move between fields and buttons"),
        ("Enter", "use the value typed / press the button"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.preview: CameraPreview | None = None
        self._preview_seq = -1

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with VerticalScroll(id="settings"):
            yield Static("Licence", classes="subtitle")
            yield Static(id="licence-status")
            with Horizontal(classes="row"):
                yield Input(placeholder="e-mail you subscribed with", id="licence-email")
                yield Button("Activate", id="activate")
            with Horizontal(classes="row"):
                yield Button("Upgrade to Basic", id="upgrade-basic")
                yield Button("Upgrade to Pro", id="upgrade-pro")
                yield Button("Upgrade to Pro+", id="upgrade-proplus")
            yield Static(id="licence-link", classes="muted")

            yield Static("Camera", classes="subtitle")
            with Horizontal(classes="row"):
                yield Input(placeholder="0, 1, … or a video file", id="camera-choice")
                yield Button("Test", id="camera-test")
                yield Button("Use it", id="camera-save", variant="primary")
            yield Static(id="camera-note", classes="muted")
            with Vertical(id="camera-preview-box"):
                yield CameraView(id="camera-preview", guide=False)

            yield Static("Videos", classes="subtitle")
            with Horizontal(classes="row"):
                yield Label("Keep recordings for (days, 0 = never keep)")
                yield Input(id="retention", type="integer", max_length=4)
            yield Static(id="retention-note", classes="muted")

            yield Static("Your data", classes="subtitle")
            with Horizontal(classes="row"):
                yield Button("Export this profile's data", id="export")
                yield Button("Delete this profile's data…", id="delete", variant="error")
            yield Static(id="data-note", classes="muted")

            yield Static("Wellness disclaimer", classes="subtitle")
            yield Static(id="disclaimer", classes="muted")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#camera-preview-box").display = False
        self.refresh_data()

    def refresh_data(self) -> None:
        db = self.flow.db
        status = licence_status(db, auto_refresh=False)
        text = Text.assemble(("Plan: ", "bold"), status.tier_name, "\n", status.message)
        if status.verified_at:
            text.append(f"\nLast checked {status.verified_at:%Y-%m-%d %H:%M} UTC", style="dim")
        self.query_one("#licence-status", Static).update(text)
        camera = self.flow.camera
        self.query_one("#camera-choice", Input).value = camera.setting()
        self.query_one("#camera-note", Static).update(f"Recording from {camera.label}.")
        self.query_one("#retention", Input).value = str(retention_days(db))
        self.query_one("#retention-note", Static).update(
            "Landmarks, results and history are kept either way; videos never leave this computer."
        )
        accepted = consent.accepted(db)
        words = consent.disclaimer().text
        when = f"\nAccepted {accepted['accepted_at']}." if accepted else ""
        self.query_one("#disclaimer", Static).update(words + when)
        if _delete_function() is None:
            self.query_one("#delete", Button).disabled = True
            self.query_one("#data-note", Static).update(
                "Deleting a profile's data comes with the `flowlogic delete` command "
                "(not in this version yet)."
            )

    # -- buttons -----------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "activate":
            self._activate(self.query_one("#licence-email", Input).value.strip())
        elif button.startswith("upgrade-"):
            self._upgrade(button.removeprefix("upgrade-"))
        elif button == "camera-test":
            self._test_camera()
        elif button == "camera-save":
            self._save_camera()
        elif button == "export":
            self._export()
        elif button == "delete":
            self._confirm_delete()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "licence-email":
            self._activate(event.value.strip())
        elif event.input.id == "camera-choice":
            self._save_camera()
        elif event.input.id == "retention":
            try:
                days = set_retention_days(self.flow.db, int(event.value or "-1"))
            except (ValueError, FlowLogicError) as error:
                self.notify(getattr(error, "message", "Type a number of days."), severity="error")
                return
            kept = "never kept" if days == 0 else f"kept for {days} days"
            self.query_one("#retention-note", Static).update(f"New recordings are {kept}.")

    @work(thread=True, exclusive=True, group="licence")
    def _activate(self, email: str) -> None:
        if not email:
            self.app.call_from_thread(self.notify, "Type your e-mail first.", severity="warning")
            return
        from flowlogic.licence import service
        from flowlogic.store import open_db

        db = open_db(self.flow.db_path)
        try:
            status = service.activate(db, email=email)
            message, severity = f"Licence active: {status.tier_name}.", "information"
        except FlowLogicError as error:
            message, severity = error.message, "error"
        finally:
            db.conn.close()
        self.app.call_from_thread(self.notify, message, severity=severity)
        self.app.call_from_thread(self.refresh_data)

    @work(thread=True, exclusive=True, group="licence")
    def _upgrade(self, tier: str) -> None:
        from flowlogic.licence.checkout import checkout_page
        from flowlogic.store import open_db

        db = open_db(self.flow.db_path)
        try:
            page = checkout_page(db, tier)
            text = f"Open this link to subscribe: {page.url}"
        except FlowLogicError as error:
            text = error.message
        finally:
            db.conn.close()
        self.app.call_from_thread(self.query_one("#licence-link", Static).update, text)

    # -- camera ------------------------------------------------------------------------
    def _chosen_camera(self) -> CameraChoice | None:
        try:
            return CameraChoice.parse(self.query_one("#camera-choice", Input).value.strip())
        except FlowLogicError as error:
            self.query_one("#camera-note", Static).update(error.message)
            return None

    def _test_camera(self) -> None:
        choice = self._chosen_camera()
        if choice is None:
            return
        self.action_stop_preview()
        self.preview = CameraPreview(choice)
        self.query_one("#camera-preview-box").display = True
        self.query_one("#camera-note", Static).update(
            f"Testing {choice.label} — Esc stops the test."
        )
        self.set_interval(1 / PREVIEW_HZ, self._draw_preview, name="camera-preview")

    def _draw_preview(self) -> None:
        if self.preview is None:
            return
        if self.preview.error:
            self.query_one("#camera-note", Static).update(self.preview.error)
            self.action_stop_preview()
            return
        seq, frame = self.preview.latest()
        if seq != self._preview_seq:
            self._preview_seq = seq
            self.query_one("#camera-preview", CameraView).show(frame)

    def action_leave_field(self) -> None:
        self.set_focus(None)
        self.action_stop_preview()

    def action_stop_preview(self) -> None:
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        for box in self.query("#camera-preview-box"):
            box.display = False

    def _save_camera(self) -> None:
        choice = self._chosen_camera()
        if choice is None:
            return
        self.flow.save_camera(choice)
        self.query_one("#camera-note", Static).update(f"Recording from {choice.label}.")
        self.notify(f"Camera set: {choice.label}.")

    def on_screen_suspend(self) -> None:
        self.action_stop_preview()

    def on_unmount(self) -> None:
        self.action_stop_preview()

    # -- data --------------------------------------------------------------------------
    def _export(self) -> None:
        from flowlogic import export

        folder = paths.home() / "exports"
        try:
            result = export.export_profile(self.flow.db, self.flow.profile.name, folder)
        except FlowLogicError as error:
            self.notify(error.message, severity="error")
            return
        where = "\n".join(str(p) for p in result.paths)
        self.query_one("#data-note", Static).update(f"Exported to:\n{where}")
        self.notify("Export written.")

    def _confirm_delete(self) -> None:
        delete = _delete_function()
        if delete is None:
            return
        who = self.flow.profile

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                report = delete(self.flow.db, who.name)
            except FlowLogicError as error:
                self.notify(error.message, severity="error")
                return
            self.flow.profile_override = None
            done = report.to_dict()
            words = (
                f"Everything of {who.name} was deleted: {done['rows_total']} stored rows, "
                f"{report.videos} recordings."
            )
            for warning in report.warnings:
                words += f"\n{warning}"
            self.query_one("#data-note", Static).update(words)
            self.notify(f"{who.name}'s data was deleted.")
            self.refresh_data()

        self.app.push_screen(
            ConfirmScreen(
                f"Delete everything of {who.name}: assessments, results, plans, tasks and "
                "recordings? This cannot be undone.",
                yes="Delete",
            ),
            answered,
        )
