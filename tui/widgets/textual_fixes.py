"""A guard around one Textual 8.2.8 crash that a user can trigger by keys.

``OptionList._move_page`` looks up the highlighted option's line before the
list has been laid out. When the command palette's list is still empty of
lines (its region has no height yet), PageUp or PageDown raises ``KeyError``
and ends the app. Textual's own ``scroll_to_highlight`` guards the same lookup
with ``except KeyError``; this does the same for paging.
"""

from __future__ import annotations

from textual.widgets import OptionList

_original_move_page = OptionList._move_page


def _move_page_when_laid_out(self: OptionList, direction: int) -> None:
    """Page through the options, or do nothing while they have no lines yet."""
    if (self.highlighted or 0) not in self._index_to_line:
        return
    _original_move_page(self, direction)


def install() -> None:
    """Replace ``OptionList._move_page`` with the guarded version (idempotent)."""
    OptionList._move_page = _move_page_when_laid_out
