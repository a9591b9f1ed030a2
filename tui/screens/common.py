"""What every screen shares: access to the app's state, words for results, small modals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Static

from flowlogic.catalog import TestSpec, find_test, load_data_toml

if TYPE_CHECKING:
    from flowlogic.tui.app import FlowLogicApp

BUCKET_CLASS = {"pass": "good", "limited": "limited", "significant": "significant"}


class AppScreen(Screen):
    """A screen of the app, with the header and the footer of keys."""

    #: shown (and the key refused) when a section key is pressed while this screen is busy
    busy_message: str | None = None
    #: lines for the help screen: (key, what it does)
    HELP: tuple[tuple[str, str], ...] = ()

    @property
    def flow(self) -> FlowLogicApp:
        return self.app  # type: ignore[return-value]

    #: the words in the top bar
    SECTION = ""

    def compose_frame(self) -> ComposeResult:
        title = f"Flow Logic · {self.SECTION}" if self.SECTION else "Flow Logic"
        yield Static(title, classes="app-bar")

    def compose_footer(self) -> ComposeResult:
        yield Footer()

    def on_screen_resume(self) -> None:
        refresh = getattr(self, "refresh_data", None)
        if refresh is not None and self.is_mounted:
            refresh()


def flag_words(spec: TestSpec, flag: dict[str, Any]) -> tuple[str, str]:
    """A flag in plain words ("Knees move inward (left side) — mild"), and what it means."""
    text = spec.flags.get(flag["code"])
    severity = load_data_toml("results.toml")["words"]["severity"].get(
        flag.get("severity", ""), flag.get("severity", "")
    )
    words = text.words if text else flag["code"].replace("_", " ").capitalize()
    side = f" ({flag['side']} side)" if flag.get("side") else ""
    return f"{words}{side} — {severity}", (text.meaning if text else "")


def score_text(result: dict[str, Any]) -> Text:
    style = {"pass": "green", "limited": "yellow", "significant": "red"}[result["normalized"]]
    return Text.assemble(
        (f"{result['score']}", f"bold {style}"),
        " / 100  ",
        (str(result.get("band", "")), style),
        "  ·  ",
        (result["bucket"], "bold"),
    )


def test_name(test_id: int) -> str:
    return find_test(test_id).name


class TooSmallScreen(ModalScreen):
    """Covers everything while the terminal is smaller than the app can draw."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.need = (width, height)

    def compose(self) -> ComposeResult:
        width, height = self.need
        yield Static(
            f"Please make the window larger.\n\nFlow Logic needs at least {width} × {height} "
            "characters.",
            id="too-small",
        )


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no, with the question in plain words. Esc or n says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.labels = (yes, no)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question")
            with Center(), Horizontal(id="confirm-buttons"):
                yield Button(f"{self.labels[0]} (y)", id="yes", variant="error")
                yield Button(f"{self.labels[1]} (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
