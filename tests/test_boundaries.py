"""Imports run one way: lib <- territory <- actors <- sites <- interventions <- maps."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["lib", "territory", "actors", "sites", "interventions", "maps"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_no_package_imports_one_above_it(package):
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & above)
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) & above
    }
    assert offending == {}


def test_the_guard_sees_an_upward_import(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("from sites.models import Site\nimport maps.views\n")
    assert imported_packages(module) >= {"sites", "maps"}
