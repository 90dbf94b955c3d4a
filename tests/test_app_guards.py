"""Guards found by trying to break the dashboard: clipboard, paging, resize."""

from __future__ import annotations

from test_app import make_alert, wait_for
from textual.app import App, ComposeResult
from textual.widgets import OptionList

from tui.app import make_app
from tui.parsing.alert import Priority
from tui.sources.tail import FileSource
from tui.widgets.checklist import Checklist
from tui.widgets.detail import build_content


def ptrace_alert_with_escape():
    """Build a host ptrace alert whose executable path carries ESC and BEL."""
    return make_alert(
        1,
        rule="PTRACE attached to process",
        priority=Priority.WARNING,
        fields={
            "container.id": "host",
            "proc.exepath": "/usr/bin/gdb; touch /tmp/x \x1b]0;T\x07",
            "proc.name": "gdb",
            "proc.cmdline": "gdb -p 4242",
            "user.loginuid": 1000,
        },
        tags=("T1055.008", "mitre_privilege_escalation"),
    )


async def test_copy_refuses_control_characters(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([ptrace_alert_with_escape()])
        app.flush_pending()
        await pilot.pause()
        checklist = app.query_one(Checklist)
        checklist.focus()
        unsafe = [
            item
            for item in checklist.items.values()
            if item.command and "\x1b" in item.command
        ]
        assert unsafe, "expected a command built from the escaped path"
        checklist.highlighted = checklist.get_option_index(unsafe[0].id)
        await pilot.press("c")
        await pilot.pause()

        titles = [notification.title for notification in app._notifications]

        assert app.clipboard != unsafe[0].command
        assert "Command not copied" in titles


class OptionListApp(App[None]):
    """An app whose option list has options but no height to lay them out."""

    def compose(self) -> ComposeResult:
        options = OptionList("one", "two", "three")
        options.styles.height = 0
        yield options


async def test_option_list_pages_before_layout():
    app = OptionListApp()
    async with app.run_test() as pilot:
        options = app.query_one(OptionList)
        options.highlighted = 1

        # Without the guard in tui.widgets.textual_fixes this raises KeyError.
        options.action_page_down()
        options.action_page_up()
        await pilot.pause()

        assert options.highlighted == 1


async def test_resize_keeps_newest_in_view(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(200, 60)) as pilot:
        # Without sources the app starts paused; follow as a live feed would.
        app.alert_list.follow = True
        app.add_items([make_alert(number) for number in range(1, 201)])
        await wait_for(pilot, lambda: app.alert_list.row_count == 200)
        await pilot.resize_terminal(80, 24)
        app.flush_pending()
        await pilot.pause()

        alert_list = app.alert_list
        top = alert_list.scroll_offset.y
        visible = alert_list.scrollable_content_region.height - 1

        assert alert_list.follow
        assert alert_list.selected_alert.rule == "Rule 200"
        assert top <= alert_list.cursor_row < top + visible


async def test_inferred_target_names_its_origin(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(200, 60)) as pilot:
        app.add_items([ptrace_alert_with_escape()])
        app.flush_pending()
        await pilot.pause()
        text = build_content(app.detail.build_parts(app.detail.alert)).plain

        assert "4242  (from proc.cmdline, inferred)" in text
        assert "proc.cmdline: 4242" not in text


async def test_missing_host_reads_as_absent(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(200, 60)) as pilot:
        app.add_items([make_alert(1, hostname=None, source=None)])
        app.flush_pending()
        await pilot.pause()
        text = build_content(app.detail.build_parts(app.detail.alert)).plain

        assert "host: not in the alert" in text
        assert "source: not in the alert" in text
        assert "<NA>" not in text.split("Fields")[0]


async def test_missing_file_named_with_advice(tmp_path):
    missing = tmp_path / "no-such-events.json"
    app = make_app([FileSource(missing)], tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:

        def notified() -> bool:
            return any(
                n.title.startswith("Waiting for file") for n in app._notifications
            )

        await wait_for(pilot, notified)
        note = next(n for n in app._notifications if n.title.startswith("Waiting"))

        assert str(missing) in note.message
        assert "check the path" in note.message


async def test_double_enter_in_dialog_keeps_app(tmp_path):
    from textual.screen import ModalScreen
    from textual.widgets import Input

    class NoteDialog(ModalScreen[str]):
        def compose(self):
            yield Input(id="note")

        def on_input_submitted(self, event: Input.Submitted) -> None:
            self.dismiss(event.value)

    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = NoteDialog()
        await app.push_screen(dialog)
        await pilot.pause()

        # Both submissions are queued before the first one is handled, as two
        # Enter presses in one burst are.
        note = dialog.query_one(Input)
        note.post_message(Input.Submitted(note, "first"))
        note.post_message(Input.Submitted(note, "second"))
        await pilot.pause()
        await pilot.pause()

        assert app.is_running
        assert len(app.screen_stack) == 1


async def test_double_enter_in_palette_keeps_app(tmp_path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("enter", "enter")
        await pilot.pause()

        assert app.is_running
