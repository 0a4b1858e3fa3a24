"""Which third-party modules a chapter imports, found statically (no chapter code runs).

The fork server preloads them; project modules are never preloaded so freeze sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def preload_candidates(sources: Iterable[str], root: Path | None = None) -> tuple[str, ...]:
    """Modules imported by cell code, following the project's own modules statically.

    A chapter typically imports `analysis.survey`, which imports pandas, statsmodels, … —
    those third-party modules are what is worth preloading.  Project files are read (never
    imported) to find them; the zygote later skips the project modules themselves.
    """
    import ast

    names: dict[str, None] = {}
    seen_files: set[Path] = set()

    def project_file(module: str) -> Path | None:
        if root is None:
            return None
        base = Path(root).joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def visit(source: str, package: str | None) -> None:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    if package is None:
                        continue
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    module = ".".join([*parts, module] if module else parts)
                found = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in found:
                if not name:
                    continue
                file = project_file(name)
                if file is None:
                    parent = name.rpartition(".")[0]
                    if not parent or project_file(parent) is None:  # not `project_mod.attr`
                        names[name] = None
                    continue
                for depth in range(1, name.count(".") + 2):  # parent packages run first
                    parent = project_file(".".join(name.split(".")[:depth]))
                    if parent is not None and parent not in seen_files:
                        seen_files.add(parent)
                        pkg = ".".join(name.split(".")[:depth])
                        if parent.name != "__init__.py":
                            pkg = pkg.rpartition(".")[0]
                        visit(parent.read_text(encoding="utf-8", errors="replace"), pkg or None)

    for source in sources:
        visit(source, None)
    return tuple(names)
