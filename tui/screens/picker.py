"""A modal list of choices that returns the id of the one picked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

Choice = tuple[Content, str | None]
"""A line of the list and the value it returns; None makes it a heading."""


class PickerScreen(ModalScreen[str | None]):
    """Choose one line with the arrow keys (or the mouse) and Enter.

    Dismisses with the chosen line's value, or None on Escape.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
    ]

    DEFAULT_CSS = """
    PickerScreen {
        align: center middle;
        & > OptionList {
            width: 90%;
            max-width: 120;
            height: 90%;
            border: thick $primary;
            background: $surface;
        }
    }
    """

    def __init__(self, title: str, choices: Sequence[Choice]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self._values: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        options: list[Option] = []
        for number, (line, value) in enumerate(self.choices):
            option_id = f"choice-{number}"
            if value is not None:
                self._values[option_id] = value
            options.append(Option(line, id=option_id, disabled=value is None))
        option_list = OptionList(*options)
        option_list.border_title = self.title_text
        yield option_list

    def on_mount(self) -> None:
        """Select the first line that can be chosen."""
        option_list = self.query_one(OptionList)
        for number, (_, value) in enumerate(self.choices):
            if value is not None:
                option_list.highlighted = number
                break

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        """Return the value of the chosen line."""
        self.dismiss(self._values.get(event.option_id or ""))
