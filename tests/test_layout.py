"""The layout of the test suite stays as tests/README.md describes it: test modules import shared code from
tests/helpers/ (or get it from fixtures), never from another test module, and nothing imports a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_forbidden(name: str) -> bool:
    """Whether a module name refers to a test module or a conftest (``tests.test_web``, ``conftest``)."""
    return any(part.startswith("test_") or part == "conftest" for part in name.split("."))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every module an import statement of ``path`` names, at any depth."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append((node.lineno, base))
            if not _is_forbidden(base.lstrip(".")):  # `from tests import test_x` and `from . import conftest`
                found.extend((node.lineno, f"{base}.{alias.name}" if node.module else base + alias.name)
                             for alias in node.names)
    return found


def violations(path: Path) -> list[str]:
    return [f"{path.relative_to(TESTS.parent)}:{line}: imports {name}"
            for line, name in imported_modules(path) if _is_forbidden(name.lstrip("."))]


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    modules = sorted(TESTS.rglob("test_*.py"))
    assert len(modules) > 50  # the walk found the suite
    problems = [v for path in modules for v in violations(path)]
    assert problems == [], "move shared code to tests/helpers/ (see tests/README.md):\n" + "\n".join(problems)


def test_helpers_and_conftests_import_no_test_module_or_conftest() -> None:
    others = sorted(p for p in TESTS.rglob("*.py") if not p.name.startswith("test_") and "fixtures" not in p.parts)
    assert TESTS / "conftest.py" in others and TESTS / "helpers" / "world.py" in others
    problems = [v for path in others for v in violations(path)]
    assert problems == [], "\n".join(problems)


def test_the_checker_sees_every_form_of_import(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("import tests.test_web\nfrom tests.test_trending import NOW\nfrom tests import test_cli\n"
                   "from . import conftest\nfrom .test_site import Tab\nfrom tests.conftest import ROOT\n"
                   "def f():\n    from tests.browser.conftest import WIDE\n")
    good = tmp_path / "test_good.py"
    good.write_text("import pytest\nfrom tests.helpers.world import NOW\nfrom tests.helpers import oai_pages\n"
                    "from paperwire.testing_tools import x\n")
    names = [name for _, name in imported_modules(bad) if _is_forbidden(name.lstrip("."))]
    assert names == ["tests.test_web", "tests.test_trending", "tests.test_cli", ".conftest", ".test_site",
                     "tests.conftest", "tests.browser.conftest"]
    assert [name for _, name in imported_modules(good) if _is_forbidden(name.lstrip("."))] == []
