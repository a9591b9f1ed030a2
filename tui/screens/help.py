"""Help on `?`: the keys of the screen underneath and the keys that work everywhere."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL_KEYS = (
    ("d", "dashboard"),
    ("t", "tests: pick one, read it, record it"),
    ("h", "history and trends"),
    ("p", "plan and today's tasks"),
    ("s", "settings: licence, camera, videos, your data"),
    ("o", "profiles (coaches: switch client)"),
    ("?", "this help"),
    ("q", "quit (a recording in progress is cancelled, nothing half-saved)"),
)


class HelpScreen(ModalScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close")
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        local = getattr(self.under, "HELP", ())
        if local:
            table.add_row("This screen", "", style="bold")
            for key, words in local:
                table.add_row(key, words)
            table.add_row("", "")
        table.add_row("Everywhere", "", style="bold")
        for key, words in GLOBAL_KEYS:
            table.add_row(key, words)
        table.add_row("", "")
        table.add_row("Mouse", "click rows, buttons and boxes; scroll with the wheel")
        with VerticalScroll(id="help"):
            yield Static("Help — Esc closes", classes="title")
            yield Static(table)
