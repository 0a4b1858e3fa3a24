"""Document parameters, as Quarto has them for Python: declared once, overridden per render.

A document declares its parameters in a cell tagged `parameters` (Jupyter/papermill style:
`#| tags: [parameters]`, plain assignments whose values are the defaults) or under `params:`
in its front matter or `_quarto.yml`. A render overrides them with `-P name:value` (the value
is read as YAML, as `quarto render -P` does) or `--execute-params FILE.yml`; the engine then
runs an injected assignment cell right after the parameters cell (at the start of the
document when it has none). Unknown names and values of the wrong type are errors that name
the parameter and where it is declared, before any kernel starts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project.qmd import CodeCell, QmdDocument

PARAMETERS_TAG = "parameters"
_NAME_OK = str.isidentifier


@dataclass(frozen=True)
class Declared:
    """One parameter a document declares: its default and where that is written."""

    name: str
    default: Any
    location: SourceLocation


def parameters_cell(doc: QmdDocument) -> CodeCell | None:
    """The first cell tagged `parameters` (`#| tags: [parameters]`), if any."""
    for cell in doc.cells:
        tags = cell.options.get("tags") or []
        if isinstance(tags, str):
            tags = [tags]
        if PARAMETERS_TAG in tags:
            return cell
    return None


def declared_parameters(doc: QmdDocument, metadata: Mapping[str, Any]) -> dict[str, Declared]:
    """Parameters of one document: `params:` metadata, then the parameters cell's assignments."""
    declared: dict[str, Declared] = {}
    where = SourceLocation(doc.path, 1)
    params = metadata.get("params") or {}
    if not isinstance(params, Mapping):
        raise ConfigError("`params:` must be a mapping of names to default values", where)
    for name, default in params.items():
        declared[str(name)] = Declared(str(name), default, where)
    cell = parameters_cell(doc)
    if cell is not None:
        declared.update(cell_assignments(cell))
    return declared


def cell_assignments(cell: CodeCell) -> dict[str, Declared]:
    """`name = <literal>` statements of the parameters cell (other statements are left alone)."""
    try:
        tree = ast.parse(cell.code)
    except SyntaxError as error:
        raise ConfigError(f"parameters cell: {error.msg}", cell.location) from None
    offset = cell.source.count("\n", 0, cell.source.find(cell.code)) if cell.code else 0
    found: dict[str, Declared] = {}
    for node in tree.body:
        target = _assigned_name(node)
        if target is None:
            continue
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = None  # computed default: any type is accepted
        found[target] = Declared(target, default, cell.location_of(offset + node.lineno))
    return found


def _assigned_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


# --------------------------------------------------------------------------------------
# Values given on the command line or in a file
# --------------------------------------------------------------------------------------


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """`-P name:value` items; the value is YAML (`-P n:3` is an int, `-P r:'3'` a string)."""
    values: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition(":")
        name = name.strip()
        if not sep or not _NAME_OK(name):
            raise ConfigError(f"-P {item!r}: expected NAME:VALUE with a Python identifier")
        try:
            values[name] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as error:
            raise ConfigError(f"-P {item!r}: the value is not valid YAML ({error})") from None
    return values


def load_params_file(path: Path) -> dict[str, Any]:
    """`--execute-params FILE.yml`: a mapping of parameter names to values."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        where = SourceLocation(path, 1)
        raise ConfigError(f"cannot read parameters file: {error.strerror}", where) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"invalid YAML: {error}", SourceLocation(path, line)) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            "expected a mapping of parameter names to values", SourceLocation(path, 1)
        )
    return {str(k): v for k, v in data.items()}


# --------------------------------------------------------------------------------------
# Checking values against the declarations
# --------------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _compatible(default: Any, value: Any) -> bool:
    """A value may replace a default of the same kind (an int where a float is expected)."""
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float) and isinstance(value, int):
        return True
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def check_values(values: Mapping[str, Any], declared: Mapping[str, Declared]) -> None:
    """Every given name is declared somewhere and each value has its default's type."""
    unknown = sorted(set(values) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none (add a cell with `#| tags: [parameters]`)"
        raise ConfigError(f"unknown parameter {', '.join(unknown)}; declared: {known}")
    for name, value in values.items():
        spec = declared[name]
        if not _compatible(spec.default, value):
            raise ConfigError(
                f"parameter {name!r} expects {_type_name(spec.default)} (default "
                f"{spec.default!r}), got {_type_name(value)} {value!r}",
                spec.location,
            )


def book_parameters(declarations: Sequence[Mapping[str, Declared]]) -> dict[str, Declared]:
    """All parameters declared by a book's documents (the first declaration of a name wins)."""
    merged: dict[str, Declared] = {}
    for declared in declarations:
        for name, spec in declared.items():
            merged.setdefault(name, spec)
    return merged


def injection_code(values: Mapping[str, Any]) -> str:
    """The injected cell: one assignment per value (values are YAML data, so `repr` is code)."""
    return "".join(f"{name} = {value!r}\n" for name, value in sorted(values.items()))
