"""The key help screen, generated from the bindings of the app and its panes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.dom import DOMNode

from tui.screens.report import ReportScreen


def describe_bindings(node_class: type[DOMNode]) -> list[tuple[list[str], str]]:
    """Return (keys, description) pairs for the bindings of ``node_class``.

    Keys that run the same action with the same description share one row.
    Bindings without a description (Textual's internal ones) are left out, and
    so are the actions a widget lists in ``HELP_HIDDEN_ACTIONS``: inherited
    bindings that do nothing there.
    """
    hidden = getattr(node_class, "HELP_HIDDEN_ACTIONS", frozenset())
    rows: dict[tuple[str, str], list[str]] = {}
    for key, binding in node_class._merged_bindings or []:
        if not binding.description or binding.action in hidden:
            continue
        rows.setdefault((binding.action, binding.description), []).append(key)
    return [(keys, description) for (_, description), keys in rows.items()]


class HelpScreen(ReportScreen):
    """Every key of the dashboard, by the pane where it works."""

    REPORT_TITLE = "Keys (escape closes)"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]

    def __init__(
        self,
        sections: Sequence[tuple[str, type[DOMNode]]],
        mouse: Sequence[str] = (),
        notes: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> None:
        super().__init__()
        self.sections = sections
        """(title, class) pairs whose bindings are listed, in order."""
        self.mouse = mouse
        """Sentences on what mouse clicks do, listed after the keys."""
        self.notes = notes
        """(title, lines) sections of plain text listed after the mouse."""

    def build_text(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        for title, node_class in self.sections:
            parts.append((f"\n{title}\n", "bold $accent"))
            for keys, description in describe_bindings(node_class):
                shown = ", ".join(
                    self.app.get_key_display(Binding(key, "")) for key in keys
                )
                parts += [(f"  {shown:<22}", "bold"), f" {description}\n"]
        if self.mouse:
            parts.append(("\nMouse\n", "bold $accent"))
            parts += [f"  {sentence}\n" for sentence in self.mouse]
        for title, lines in self.notes:
            parts.append((f"\n{title}\n", "bold $accent"))
            parts += [f"  {line}\n" for line in lines]
        return Content.assemble(*parts)
