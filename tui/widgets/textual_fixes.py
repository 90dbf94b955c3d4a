"""Guards around two Textual 8.2.8 crashes that a user can trigger by keys.

``OptionList._move_page`` looks up the highlighted option's line before the
list has been laid out. When the command palette's list is still empty of
lines (its region has no height yet), PageUp or PageDown raises ``KeyError``
and ends the app. Textual's own ``scroll_to_highlight`` guards the same lookup
with ``except KeyError``; this does the same for paging.

``Screen.dismiss`` pops the top screen without checking that it is the
screen being dismissed. Two Enter presses in one burst (typeahead over a slow
SSH link) dismiss a dialog twice: the second pop removes the screen below it
or, on the last screen, raises ``ScreenStackError`` and ends the app. A
dismiss of a screen that is no longer on top is now ignored.
"""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete
from textual.screen import Screen
from textual.widgets import OptionList

_original_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction: int) -> None:
    """Page through the options, or do nothing while they have no lines yet."""
    if (self.highlighted or 0) not in self._index_to_line:
        return
    _original_move_page(self, direction)


_original_dismiss = Screen.dismiss


async def _nothing() -> None:
    return None


def _dismiss_when_on_top(self: Screen, result: Any = None) -> AwaitComplete:
    """Dismiss the screen, or do nothing when it is no longer the top screen."""
    if not self.is_active:
        return AwaitComplete(_nothing())
    return _original_dismiss(self, result)


def install() -> None:
    """Install both guards (idempotent)."""
    OptionList._move_page = _move_page_when_laid_out
    Screen.dismiss = _dismiss_when_on_top
