"""The report key, the rules-file section and the exception copy in the app."""

from __future__ import annotations

from pathlib import Path

from test_app import screen_text, wait_for
from test_report import PTRACE_ALERT, parse_alert

from tui.analysis.exceptions import exception_snippet
from tui.app import make_app
from tui.widgets.detail import AlertDetail, build_content

RULES = """\
- rule: PTRACE attached to process
  desc: Site copy of the ptrace rule.
  condition: evt.type = ptrace
  output: traced
  priority: WARNING
- rule: PTRACE attached to process
  exceptions:
    - name: site_debuggers
      fields: [proc.exepath]
      values: [[/usr/bin/gdb]]
  override:
    exceptions: append
"""


def notification_titles(app) -> list[str]:
    return [notification.title for notification in app._notifications]


async def test_report_key_writes_file(tmp_path: Path):
    state_dir = tmp_path / "state"
    app = make_app([], state_dir)
    alert = parse_alert(PTRACE_ALERT)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([alert])
        await wait_for(pilot, lambda: app.detail.alert is not None)
        await pilot.press("e")
        await wait_for(pilot, lambda: "Report written" in notification_titles(app))

    reports = list((state_dir / "reports").glob("*.md"))
    assert len(reports) == 1
    assert alert.fingerprint[:8] in reports[0].name
    text = reports[0].read_text()
    assert text.startswith("# Falco alert: PTRACE attached to process\n")
    assert "\n## Checklist\n" in text
    messages = [notification.message for notification in app._notifications]
    assert str(reports[0]) in messages


async def test_report_key_without_alert(tmp_path: Path):
    app = make_app([], tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]

    assert "No alert selected yet." in messages
    assert not (tmp_path / "state" / "reports").exists()


async def test_detail_shows_loaded_rule(tmp_path: Path):
    rules = tmp_path / "local.yaml"
    rules.write_text(RULES)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- rule: [\n")
    app = make_app([], tmp_path / "state")
    app.load_rules([rules, broken])
    async with app.run_test(size=(200, 80)) as pilot:
        app.add_items([parse_alert(PTRACE_ALERT)])
        await wait_for(pilot, lambda: app.detail.alert is not None)
        detail = app.query_one(AlertDetail)
        body = build_content(detail.build_parts(detail.alert)).plain
        detail.focus()
        await pilot.press("z")
        await pilot.pause(0.2)
        screen = screen_text(app)
        titles = notification_titles(app)

    assert "Rule in your rules files" in screen
    assert "condition: evt.type = ptrace" in body
    assert "site_debuggers" in body
    assert f"(from {rules})" in body
    assert "Rules file skipped" in titles


async def test_copy_exception_snippet(tmp_path: Path):
    app = make_app([], tmp_path / "state")
    alert = parse_alert(PTRACE_ALERT)
    async with app.run_test(size=(120, 40)) as pilot:
        app.add_items([alert])
        await wait_for(pilot, lambda: app.detail.alert is not None)
        app.query_one(AlertDetail).focus()
        await pilot.press("y")
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]

    assert app.clipboard == exception_snippet(alert)
    assert any("OSC 52" in message for message in messages)
