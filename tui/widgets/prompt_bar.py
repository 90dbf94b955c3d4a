"""A one-line input at the bottom of the screen for filters, finds, jumps, paths."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

PROMPTS = {
    "filter": ("Filter", "rule:shell priority>=warning -proc.name=bash (empty: all)"),
    "find": ("Find (n/N: next/previous)", "text or field terms, as in the filter"),
    "jump": ("Jump to time", "2026-04-06T19:32:00Z or local HH:MM[:SS]"),
    "export": ("Export shown alerts to", "path of a new .jsonl file"),
}
"""Each mode's border title and placeholder."""


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

    @property
    def is_open(self) -> bool:
        """True while the prompt is shown."""
        return self.has_class("-open")

    def open(self, mode: str, value: str = "") -> None:
        """Show the prompt in ``mode`` holding ``value``, with the cursor at its end."""
        title, placeholder = PROMPTS[mode]
        self.mode = mode
        self.border_title = title
        self.border_subtitle = ""
        self.placeholder = placeholder
        self.value = value
        self.cursor_position = len(value)
        self.add_class("-open")
        self.focus()

    def show_error(self, message: str) -> None:
        """Show ``message`` under the input; the prompt stays open."""
        self.border_subtitle = message

    def action_close(self) -> None:
        """Hide the prompt and post ``Closed``."""
        self.remove_class("-open")
        self.mode = ""
        self.post_message(self.Closed())

    @on(Input.Submitted)
    def forward_submission(self, event: Input.Submitted) -> None:
        """Replace Input's message with one that carries the mode."""
        event.stop()
        self.post_message(self.Entered(self.mode, event.value))
