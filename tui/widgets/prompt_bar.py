"""A one-line input at the bottom of the screen for filters, finds, jumps, paths."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from tui.parsing.text import printable

PROMPTS = {
    "filter": ("Filter", "rule:shell priority>=warning -proc.name=bash (empty: all)"),
    "find": ("Find (n/N: next/previous)", "text or field terms, as in the filter"),
    "jump": ("Jump to time", "2026-04-06T19:32:00Z or local HH:MM[:SS]"),
    "export": ("Export shown alerts to", "path of a new .jsonl file"),
}
"""Each mode's border title and placeholder."""


class PromptError(Static):
    """The line under the prompt that points at an error in what was entered.

    It sits below the input rather than over it, so the text stays visible
    while the user corrects it.
    """

    DEFAULT_CSS = """
    PromptError {
        display: none;
        height: auto;
        max-height: 3;
        color: $text-error;
        background: $error-muted;
        text-style: bold;
        &.-shown {
            display: block;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(Content(""), markup=False)
        self.text = ""
        """The shown line, caret included, or empty while hidden."""

    def show_message(self, message: str, caret: int | None) -> None:
        """Show ``message``, after a ``^`` in cell ``caret`` when one is given.

        A message that does not fit after the caret but fits before it goes
        before it.
        """
        text = printable(message, 300)
        if caret is not None:
            width = self.size.width or self.app.size.width
            if caret + 2 + cell_len(text) <= width or cell_len(text) + 1 > caret:
                text = " " * caret + "^ " + text
            else:
                text = " " * (caret - cell_len(text) - 1) + text + " ^"
        self.text = text
        self.update(Content(text))
        self.add_class("-shown")

    def clear(self) -> None:
        """Hide the line."""
        self.text = ""
        self.remove_class("-shown")


class PromptBar(Input):
    """An input that opens in one mode of ``PROMPTS`` and reports what was entered.

    Enter posts ``Entered`` and leaves closing to the app, so an invalid
    filter can stay open for correction. Escape closes it and changes nothing.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close the prompt", show=False),
    ]

    DEFAULT_CSS = """
    PromptBar {
        display: none;
        border: tall $accent;
        &.-open {
            display: block;
        }
    }
    """

    class Entered(Message):
        """Posted on Enter with the prompt's mode and the text entered."""

        def __init__(self, mode: str, value: str) -> None:
            super().__init__()
            self.mode = mode
            self.value = value

    class Closed(Message):
        """Posted when the prompt closes, so the app can move the focus."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, select_on_focus=False)
        self.mode = ""
        """The open mode, a key of ``PROMPTS``, or empty while closed."""
        self.error_line = PromptError()
        """The error line, which the app places right below the prompt."""

    @property
    def is_open(self) -> bool:
        """True while the prompt is shown."""
        return self.has_class("-open")

    def open(self, mode: str, value: str = "") -> None:
        """Show the prompt in ``mode`` holding ``value``, with the cursor at its end."""
        title, placeholder = PROMPTS[mode]
        self.mode = mode
        self.border_title = title
        self.placeholder = placeholder
        self.value = value
        self.cursor_position = len(value)
        self.add_class("-open")
        # Focus now rather than through focus(), which defers it with
        # call_later. The app opens the prompt as it reads the key (a priority
        # binding), so keys typed right after it, as a paste or a burst over
        # SSH, reach the prompt instead of running the list's bindings.
        self.screen.set_focus(self)

    def show_error(self, message: str, column: int = 0) -> None:
        """Show ``message`` under the input; the prompt stays open.

        A 1-based ``column`` moves the cursor to the problem and puts a caret
        under it.
        """
        self.add_class("-invalid")
        if not column:
            self.error_line.show_message(message, None)
            return
        self.cursor_position = column - 1
        # The input scrolls to the cursor on its next refresh, so the caret
        # is placed after it.
        self.call_after_refresh(self._point_at, message, column - 1)

    def _point_at(self, message: str, position: int) -> None:
        scroll_x, _ = self.scroll_offset
        caret = self.content_region.x + self._position_to_cell(position) - scroll_x
        self.error_line.show_message(message, max(caret, 0))

    def clear_error(self) -> None:
        """Hide the error line and the invalid border."""
        self.remove_class("-invalid")
        self.error_line.clear()

    @on(Input.Changed)
    def clear_error_on_edit(self) -> None:
        """Hide a shown error once the text changes, because the caret may be off."""
        self.clear_error()

    def action_close(self) -> None:
        """Hide the prompt and post ``Closed``."""
        self.clear_error()
        self.remove_class("-open")
        self.mode = ""
        self.post_message(self.Closed())

    @on(Input.Submitted)
    def forward_submission(self, event: Input.Submitted) -> None:
        """Replace Input's message with one that carries the mode."""
        event.stop()
        self.post_message(self.Entered(self.mode, event.value))
