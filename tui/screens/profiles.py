"""Profiles (for coaches): every client with their last assessment; switch, add."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from flowlogic import profiles
from flowlogic.catalog import find_test
from flowlogic.errors import FlowLogicError
from flowlogic.store import assessments
from flowlogic.tui.screens.common import AppScreen


class ProfilesScreen(AppScreen):
    SECTION = "Profiles"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "switch", "Switch to"),
        Binding("a", "add", "Add"),
        Binding("escape", "cancel_add", "Cancel", show=False),
    ]
    HELP = (
        ("↑ ↓", "choose a profile"),
        ("Enter", "switch to it (tests, history and plan follow)"),
        ("a", "add a profile"),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(id="profiles-title", classes="title")
        yield DataTable(id="profiles-table", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="New profile name, then Enter", id="profile-name", max_length=64)
        yield Static(id="profiles-note", classes="muted")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "Name", "Since", "Assessments", "Last assessment")
        self.query_one("#profile-name", Input).display = False
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        db = self.flow.db
        active = self.flow.profile
        table = self.query_one(DataTable)
        table.clear()
        everyone = profiles.list_all(db)
        for person in everyone:
            rows = assessments.history(db, person.id)
            if rows:
                last = rows[0]
                result = (
                    f"{last['score']} · {last['bucket']}"
                    if last["score"] is not None
                    else ("not completed")
                )
                latest = f"{find_test(last['test_id']).name}: {result} ({last['local_date']})"
            else:
                latest = "—"
            here = person.id == active.id
            table.add_row(
                Text("●", style="green") if here else "",
                Text(person.name, style="bold" if here else ""),
                person.created_at[:10],
                str(len(rows)),
                latest,
                key=person.name,
            )
        self.query_one("#profiles-title", Static).update(
            Text.assemble(("Profiles", "bold"), f" — {len(everyone)} · active: {active.name}")
        )

    def action_switch(self) -> None:
        field = self.query_one("#profile-name", Input)
        if field.display and field.has_focus:
            return
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if name:
            self.flow.use_profile(str(name))
            self.notify(f"Now working with {name}.")
            self.refresh_data()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_switch()

    def action_add(self) -> None:
        field = self.query_one("#profile-name", Input)
        field.display = True
        field.focus()

    def action_cancel_add(self) -> None:
        field = self.query_one("#profile-name", Input)
        field.value = ""
        field.display = False
        self.query_one(DataTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            person = profiles.add(self.flow.db, event.value)
        except FlowLogicError as error:
            self.query_one("#profiles-note", Static).update(error.message)
            return
        self.query_one("#profiles-note", Static).update(f"Added {person.name}.")
        self.action_cancel_add()
        self.refresh_data()
