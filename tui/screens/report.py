"""A modal screen that shows one scrollable block of text over the dashboard."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class ReportScreen(ModalScreen[None]):
    """A bordered, scrollable text report; subclasses build the text and keys."""

    DEFAULT_CSS = """
    ReportScreen {
        align: center middle;
        & > VerticalScroll {
            width: 90%;
            max-width: 120;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
    }
    """

    REPORT_TITLE = ""
    """The title on the border."""

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self.REPORT_TITLE
            yield Static(self.build_text(), markup=False)

    def build_text(self) -> Content:
        """Build the report; every string from an alert goes through printable."""
        raise NotImplementedError
