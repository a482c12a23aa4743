"""ARCHITECTURE.md matches the code: every module listed exists, every module is listed, imports go one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dbkit"
DOC = (ROOT / "ARCHITECTURE.md").read_text()


def _layers() -> dict[str, int]:
    """Module (top-level name under dbkit/) -> layer number, from the table in ARCHITECTURE.md."""
    found = {}
    for number, cell in re.findall(r"^\| (\d) \w+ \| ([^|]+) \|", DOC, re.M):
        for module in re.findall(r"`([\w_]+)`", cell):
            found[module] = int(number)
    return found


def _units() -> dict[str, list[Path]]:
    """Top-level units of the package: a module file, or a subpackage with all its files."""
    units: dict[str, list[Path]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        name = relative.parts[0].removesuffix(".py")
        units.setdefault(name, []).append(path)
    return units


def _imports(path: Path) -> set[str]:
    """The dbkit units a file imports, relative imports resolved, lazy ones inside functions included."""
    tree = ast.parse(path.read_text())
    package = list(path.relative_to(ROOT).with_suffix("").parts)[:-1]  # the package the file is in
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
            else:
                target = (node.module or "").split(".")
            if target[:1] == ["dbkit"]:
                if len(target) > 1:
                    found.add(target[1])
                else:  # `from . import catalog, db`
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "dbkit" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_module_listed_exists_and_every_module_is_listed():
    layers, units = _layers(), _units()
    assert sorted(set(layers) - set(units)) == [], "listed in ARCHITECTURE.md but not in dbkit/"
    assert sorted(set(units) - set(layers)) == [], "in dbkit/ but not listed in ARCHITECTURE.md"


def test_imports_only_go_up_the_layers():
    layers, units = _layers(), _units()
    wrong = []
    for unit, paths in units.items():
        for path in paths:
            for imported in _imports(path) - {unit}:
                if imported in layers and layers[imported] > layers[unit]:
                    wrong.append(f"{path.relative_to(ROOT)} ({layers[unit]}) imports {imported} ({layers[imported]})")
    assert wrong == []


def test_the_check_can_fail():
    """A planted upward import is caught (foundation importing the catalog)."""
    tree = ast.parse("from .catalog import schema\n")
    assert isinstance(tree.body[0], ast.ImportFrom) and tree.body[0].module == "catalog"
    layers = _layers()
    assert layers["catalog"] > layers["errors"]


def test_the_modules_the_text_names_exist():
    for name in set(re.findall(r"`(\w+)\.py`", DOC)):
        assert any(p.name == f"{name}.py" for p in PACKAGE.rglob("*.py")), name


def test_no_submodule_shadows_a_name_the_package_exports():
    """`dbkit.plan()` stays the migration plan however many submodules are imported afterwards."""
    import importlib
    import pkgutil

    import dbkit

    for module in pkgutil.walk_packages(dbkit.__path__, "dbkit."):
        if module.name not in ("dbkit.testing", "dbkit.__main__"):
            importlib.import_module(module.name)
    for name in dbkit.__all__:
        assert not hasattr(getattr(dbkit, name), "__path__") and type(getattr(dbkit, name)).__name__ != "module", name
