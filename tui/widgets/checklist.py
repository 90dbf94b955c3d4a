"""The mitigation checklist of the selected alert, with ticks saved at once."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.analysis.checklist import ChecklistItem, checklist
from tui.parsing.alert import Alert
from tui.parsing.text import printable
from tui.state.db import StateError, StateStore

COPY_NOTE = (
    "Sent the command to the clipboard with OSC 52. Some terminals, and tmux "
    "without 'set-clipboard on', ignore it; if pasting gives nothing, select "
    "the command with the mouse instead."
)


def item_prompt(item: ChecklistItem, done: bool) -> Content:
    """Return an item's line: its box, its text and, below, its command."""
    box = "[x] " if done else "[ ] "
    parts: list[str | tuple[str, str]] = [
        (box, "bold $success" if done else "bold"),
        (printable(item.text), "$text-muted strike" if done else ""),
    ]
    if item.command:
        parts += ["\n    ", ("$ " + printable(item.command), "$text-muted")]
    return Content.assemble(*parts)


class Checklist(OptionList):
    """Mitigation steps grouped by phase; space, enter or a click ticks one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "select", "Tick or untick", show=False),
        Binding("k", "cursor_up", "Previous item", show=False),
        Binding("j", "cursor_down", "Next item", show=False),
        Binding("c", "copy_command", "Copy command"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | space, enter | Tick or untick the highlighted item. |
    | up, k / down, j | Move between items. |
    | c | Copy the highlighted item's command to the clipboard. |
    """

    DEFAULT_CSS = """
    Checklist {
        height: 1fr;
        max-height: 100%;
        & > .option-list--option-disabled {
            color: $accent;
            text-style: bold;
        }
        /* Option lists drop reverse from option styles (Textual 8). */
        &:nocolor > .option-list--option-highlighted {
            text-style: bold underline;
        }
    }
    """

    class Changed(Message):
        """Posted after an item was ticked or unticked and saved."""

        def __init__(self, checklist: Checklist, item_id: str, done: bool) -> None:
            super().__init__()
            self.checklist = checklist
            self.item_id = item_id
            self.done = done

        @property
        def control(self) -> Checklist:
            """The checklist that posted the message."""
            return self.checklist

    def __init__(
        self, state: StateStore, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.state = state
        """Where ticks are saved, keyed by alert fingerprint and item id."""
        self.alert: Alert | None = None
        self.items: dict[str, ChecklistItem] = {}
        """The shown items by id."""
        self.done: dict[str, bool] = {}
        """Tick state by item id, as saved."""

    @property
    def progress(self) -> tuple[int, int]:
        """Ticked and total item counts."""
        return sum(self.done.get(item_id, False) for item_id in self.items), len(
            self.items
        )

    def show_alert(self, alert: Alert | None) -> None:
        """Load the items of ``alert`` and their saved ticks."""
        if alert is self.alert:
            return
        self.alert = alert
        self.items = {}
        self.done = {}
        if alert is not None:
            self.items = {item.id: item for item in checklist(alert)}
            self.done = self._load_ticks(alert)
        self.set_options(self._build_options())
        self.action_first()
        self._update_title()

    def reload_ticks(self) -> None:
        """Re-read the shown alert's saved ticks, which another instance may
        have changed, keeping the highlighted item."""
        if self.alert is None:
            return
        done = self._load_ticks(self.alert)
        if done == self.done:
            return
        highlighted = self.highlighted
        self.done = done
        self.set_options(self._build_options())
        self.highlighted = highlighted
        self._update_title()

    def _load_ticks(self, alert: Alert) -> dict[str, bool]:
        try:
            return self.state.checklist(alert.fingerprint)
        except StateError as error:
            self.log.error(f"loading ticks of {alert.fingerprint} failed: {error}")
            self.notify(
                str(error), title="Checklist not loaded", severity="error", markup=False
            )
            return {}

    def _build_options(self) -> list[Option]:
        options: list[Option] = []
        phase = None
        for item in self.items.values():
            if item.phase != phase:
                phase = item.phase
                heading = Content(printable(phase).capitalize())
                options.append(Option(heading, disabled=True))
            options.append(
                Option(item_prompt(item, self.done.get(item.id, False)), id=item.id)
            )
        return options

    def _update_title(self) -> None:
        done, total = self.progress
        self.border_title = f"Checklist {done}/{total}" if total else "Checklist"

    @on(OptionList.OptionSelected)
    def toggle_item(self, event: OptionList.OptionSelected) -> None:
        """Flip the selected item's tick and save it at once."""
        event.stop()
        if self.alert is None or event.option_id not in self.items:
            return
        item_id = event.option_id
        done = not self.done.get(item_id, False)
        try:
            self.state.set_checked(self.alert.fingerprint, item_id, done)
        except StateError as error:
            self.log.error(
                f"saving tick {item_id} of {self.alert.fingerprint}: {error}"
            )
            self.notify(
                str(error), title="Tick not saved", severity="error", markup=False
            )
            return

        self.done[item_id] = done
        self.replace_option_prompt(item_id, item_prompt(self.items[item_id], done))
        self._update_title()
        self.post_message(self.Changed(self, item_id, done))

    def action_copy_command(self) -> None:
        """Copy the highlighted item's command to the clipboard."""
        option = self.highlighted_option
        item = self.items.get(option.id) if option and option.id else None
        if item is None or not item.command:
            self.notify("This item has no command to copy.", severity="warning")
            return
        if printable(item.command) != item.command:
            # The screen shows escapes, but the clipboard would carry the raw
            # control characters from the alert into the user's shell.
            self.notify(
                "Not copied: the command holds control characters taken from "
                "the alert (shown escaped). Type it by hand after checking it.",
                title="Command not copied",
                severity="warning",
                markup=False,
            )
            return
        self.app.copy_to_clipboard(item.command)
        self.notify(COPY_NOTE, title="Command copied", markup=False)
