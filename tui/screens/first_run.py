"""First run: the wellness disclaimer to accept, then a profile to create or pick."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from flowlogic import consent, profiles
from flowlogic.errors import FlowLogicError
from flowlogic.tui.screens.common import AppScreen


class DisclaimerScreen(AppScreen):
    """The disclaimer, once per installation, before anything is recorded."""

    SECTION = "Welcome"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "I accept"),
        Binding("q,escape", "app.quit", "Quit"),
    ]
    HELP = (("a", "accept the disclaimer"), ("q", "quit without accepting"))

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        text = consent.disclaimer()
        with Vertical(id="first-run"):
            yield Static("Welcome to Flow Logic", classes="title")
            yield Static(
                "Before we start, please read this once. It stays in Settings.",
                classes="muted",
            )
            yield Static(text.text, id="disclaimer-text")
            yield Static(f"Version {text.version}", classes="muted")
            with Horizontal(classes="buttons"):
                yield Button("I accept (a)", id="accept", variant="primary")
                yield Button("Quit (q)", id="quit")
        yield from self.compose_footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "accept":
            self.action_accept()
        else:
            self.app.exit()

    def action_accept(self) -> None:
        consent.accept(self.flow.db)
        if self.flow.profile_override:
            self.flow.finish_first_run()
        else:
            self.app.switch_screen(ProfileSetupScreen())


class ProfileSetupScreen(AppScreen):
    """Who is this for? Create a profile, or pick one already here."""

    SECTION = "Welcome"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "skip", "Use the selected one")]
    HELP = (
        ("Enter", "create the profile typed, or use the one selected"),
        ("Tab", "move between the name field and the list"),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        existing = profiles.list_all(self.flow.db)
        with VerticalScroll(id="first-run"):
            yield Static("Who is this for?", classes="title")
            yield Static(
                "Each person (or each of a coach's clients) has a profile with its own "
                "history and caps.",
                classes="muted",
            )
            yield Label("New profile name")
            yield Input(placeholder="e.g. Alex", id="new-profile", max_length=64)
            yield Static("", id="profile-error", classes="error")
            if existing:
                yield Label("…or pick one")
                yield OptionList(
                    *[Option(p.name, id=p.name) for p in existing], id="existing-profiles"
                )
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#new-profile", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            return
        try:
            profile = profiles.add(self.flow.db, name)
        except FlowLogicError as error:
            self.query_one("#profile-error", Static).update(error.message)
            return
        self.flow.use_profile(profile.name)
        self.flow.finish_first_run()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.flow.use_profile(str(event.option.id))
        self.flow.finish_first_run()

    def action_skip(self) -> None:
        self.flow.use_profile(self.flow.profile.name)
        self.flow.finish_first_run()
