"""The renderer's shape: it never imports the report, stages import only earlier stages, no cycles.

This is the lint rule of the dependency direction (report -> renderer), run in CI with the tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "quartowrap" / "src" / "quartowrap"

# Pipeline order: a module may import its own stage and any stage to its left.
STAGES = [
    ("authoring", "errors", "integrity", "model", "progress"),  # the shared floor
    # the table model and its builders, layout and printers: built inside kernels (execute)
    # and printed by the writers, depending on nothing but the floor
    ("tables",),
    ("project",),
    ("execute",),
    ("assemble",),
    ("themes",),
    ("writers",),
    ("publish",),
    ("handoff",),
    ("commands",),
    ("cli", "__main__", "__init__"),
]
RANK = {name: rank for rank, names in enumerate(STAGES) for name in names}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((f"<relative level {node.level}>", node.lineno))
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "templates" not in p.parts}


# Pure, dependency-free modules of a later stage that the floor may use: the table model
# travels in a cell's output bundle, so `authoring` builds it.
FLOOR_MODULES = {"quartowrap.tables.model"}


def _stage(module: str) -> str:
    if module in FLOOR_MODULES:
        return "model"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_is_found() -> None:
    assert len(MODULES) > 20 and "quartowrap.cli" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_the_report(module: str) -> None:
    bad = [
        f"{MODULES[module].name}:{line}: import {name}"
        for name, line in _imports(MODULES[module])
        if name == "analysis" or name.startswith("analysis.") or name.startswith("<relative")
    ]
    assert not bad, "the renderer imports the report (or uses relative imports): " + "; ".join(bad)


def test_stages_import_only_earlier_stages() -> None:
    upward = []
    for module, path in MODULES.items():
        own = RANK[_stage(module)]
        for name, line in _imports(path):
            if not name.startswith("quartowrap.") or name not in MODULES:
                continue
            if RANK[_stage(name)] > own:
                upward.append(f"{module}:{line} imports {name}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for name, _ in _imports(path):
            if name in MODULES and name != module and not name.startswith(module + "."):
                graph.add_edge(module, name)
    # a package's __init__ re-exporting its own submodules is not a cycle of responsibilities
    cycles = [
        c for c in nx.simple_cycles(graph) if not any(MODULES[m].name == "__init__.py" for m in c)
    ]
    assert not cycles, f"import cycles: {cycles}"


def test_the_rule_catches_an_offender(tmp_path: Path) -> None:
    """The check is not vacuous: a module importing `analysis` is reported."""
    offender = tmp_path / "bad.py"
    offender.write_text("from analysis.survey import x\nimport analysis\n")
    assert [n for n, _ in _imports(offender) if n.split(".")[0] == "analysis"]


@pytest.mark.parametrize("module", sorted(FLOOR_MODULES))
def test_floor_modules_import_only_the_standard_library(module: str) -> None:
    """A module lifted into the floor must stay dependency-free (it runs in every kernel)."""
    import sys

    bad = [
        f"{name} (line {line})"
        for name, line in _imports(MODULES[module])
        if name.split(".")[0] not in sys.stdlib_module_names
    ]
    assert not bad, f"{module} imports {bad}"
