"""Small dialogs for triage: choices, notes, confirmations and the mute list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.parsing.text import printable
from tui.state.triage import Mute, parse_duration

DIALOG_CSS = """
    align: center middle;
    & > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    & OptionList {
        height: auto;
        max-height: 16;
    }
"""


class DialogOptionList(OptionList):
    """An option list whose highlighted option stays visible without colour.

    Textual 8 option lists drop ``reverse`` from their option styles, so the
    highlighted option is bold and underlined instead.
    """

    DEFAULT_CSS = """
    DialogOptionList:nocolor > .option-list--option-highlighted {
        text-style: bold underline;
    }
    """


class ChoiceScreen(ModalScreen[str | None]):
    """A question with a list of choices, returning the chosen id or None."""

    DEFAULT_CSS = "ChoiceScreen {" + DIALOG_CSS + "}"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
    ]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        """The text above the choices. Callers pass alert strings through printable."""
        self.choices = choices
        """(id, label) pairs."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.question), markup=False)
            yield DialogOptionList(
                *(Option(Content(label), id=choice) for choice, label in self.choices)
            )
            yield Static(Content("enter chooses, escape cancels"), markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Return the chosen id."""
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        """Close without a choice."""
        self.dismiss(None)


class TextInputScreen(ModalScreen[str | None]):
    """A question with a one-line input, returning the text or None on escape.

    With ``duration`` set, the text must parse as a duration, and an invalid
    one shows the reason instead of closing.
    """

    DEFAULT_CSS = "TextInputScreen {" + DIALOG_CSS + "}"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
    ]

    def __init__(self, question: str, value: str = "", duration: bool = False) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.duration = duration

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.question), markup=False)
            yield Input(self.value, id="dialog-input")
            yield Static(
                Content("enter saves, escape cancels"), id="dialog-hint", markup=False
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Return the text, unless a duration was requested and it is invalid."""
        if self.duration:
            try:
                parse_duration(event.value)
            except ValueError as error:
                hint = self.query_one("#dialog-hint", Static)
                hint.update(Content(str(error)))
                return
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes-or-no question: y or enter confirms, and n or escape cancels."""

    DEFAULT_CSS = (
        "ConfirmScreen {"
        + DIALOG_CSS
        + "& #confirm-buttons { height: auto; } & Button { margin: 0 1; } }"
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.question), markup=False)
            yield Static(Content("y or enter: yes   n or escape: no"), markup=False)
            with Horizontal(id="confirm-buttons"):
                yield self._button("Yes", "yes")
                yield self._button("No", "no")

    @staticmethod
    def _button(label: str, button_id: str) -> Button:
        button = Button(label, id=button_id)
        # Unfocusable, so enter keeps meaning yes instead of pressing a
        # focused button. The buttons are for the mouse.
        button.can_focus = False
        return button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close and return True for the Yes button, False for No."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Close and return ``answer``."""
        self.dismiss(answer)


def mute_label(mute: Mute) -> Content:
    """Describe a mute on one line, with its rule and value made printable."""
    until = mute.until.strftime("%Y-%m-%d %H:%M:%S UTC")
    return Content(
        f"{printable(mute.rule, 120)} │ {mute.entity}: "
        f"{printable(mute.value, 120)} │ until {until} │ by "
        f"{printable(mute.created_by, 40)}"
    )


class MutesScreen(ModalScreen[None]):
    """The list of active mutes, where l or delete lifts the highlighted one."""

    DEFAULT_CSS = "MutesScreen {" + DIALOG_CSS.replace("width: 70", "width: 110") + "}"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("l,delete", "lift", "Lift mute"),
    ]
    """Enter or a click on a mute also lifts it, after a confirmation."""

    def __init__(self, mutes: Sequence[Mute], muted_count: int) -> None:
        super().__init__()
        self.mutes = list(mutes)
        self.muted_count = muted_count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title(), id="mutes-title", markup=False)
            yield DialogOptionList(*self._options(), id="mutes")
            yield Static(
                Content("l or delete lifts the highlighted mute, escape closes"),
                markup=False,
            )

    def show_mutes(self, mutes: Sequence[Mute], muted_count: int) -> None:
        """Replace the list, after a lift here or a change by another instance."""
        self.mutes = list(mutes)
        self.muted_count = muted_count
        self.query_one("#mutes-title", Static).update(self._title())
        option_list = self.query_one("#mutes", OptionList)
        option_list.clear_options()
        option_list.add_options(self._options())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Ask before lifting the chosen mute, for mouse users."""
        mute = self.mutes[event.option_index]
        self.app.push_screen(
            ConfirmScreen(f"Lift the mute {mute_label(mute).plain}?"),
            lambda yes: yes and self.app.lift_mute(mute.id),
        )

    def action_lift(self) -> None:
        """Lift the highlighted mute."""
        option_list = self.query_one("#mutes", OptionList)
        if option_list.highlighted is None or not self.mutes:
            return
        mute = self.mutes[option_list.highlighted]
        self.app.lift_mute(mute.id)

    def _title(self) -> Content:
        noun = "mute" if len(self.mutes) == 1 else "mutes"
        return Content(
            f"{len(self.mutes)} active {noun}, hiding {self.muted_count:,} alerts"
        )

    def _options(self) -> list[Option]:
        if not self.mutes:
            return [Option(Content("No active mutes."), disabled=True)]
        return [Option(mute_label(mute)) for mute in self.mutes]


def history_parts(changes: Sequence) -> list[str | tuple[str, str]]:
    """Return the detail pane lines for a status history, newest first."""
    parts: list[str | tuple[str, str]] = []
    for change in reversed(changes):
        when = change.changed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        note = f": {printable(change.note, 500)}" if change.note else ""
        parts.append(
            f"  {when} {printable(change.changed_by, 40)} set "
            f"{change.status.value}{note}\n"
        )
    return parts
