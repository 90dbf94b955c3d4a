"""The layers below the widgets must work without Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui"
LOWER_LAYERS = ("parsing", "storage", "sources", "analysis", "state")


def lower_layer_modules() -> list[str]:
    """List the dotted names of every module in the lower layers."""
    modules = []
    for layer in LOWER_LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            parts = (
                relative.parts[:-1] if path.name == "__init__.py" else relative.parts
            )
            modules.append(".".join(parts))
    return modules


def imported_names(path: Path) -> set[str]:
    """Return the top-level package of every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_lower_layers_exist():
    modules = lower_layer_modules()
    for layer in LOWER_LAYERS:
        assert any(name.startswith(f"tui.{layer}") for name in modules), layer


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_layer_source_never_imports_textual(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        assert "textual" not in imported_names(path), path


def test_lower_layers_import_without_textual():
    # A fresh interpreter where importing textual fails proves that no module
    # of the lower layers needs it, directly or through another module.
    script = (
        "import importlib, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'textual' or name.startswith('textual.'):\n"
        "            raise ImportError('textual is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {lower_layer_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not any(m.startswith('textual') for m in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
