"""Compare two releases for reviewers: which chapters changed, and which table cells.

`nox -s diff -- 1.0.0 1.1.0` reads `_output/1.0.0/` and `_output/1.1.0/`, prints a short
summary on the terminal and writes `_output/diff-1.0.0-1.1.0.html`: per chapter the
changed sentences of its text, per table every cell whose value changed (row, column,
old, new), rows added or removed, tables added or removed.
"""

from __future__ import annotations

import difflib
import html
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from jinja2 import Environment

from quartowrap.errors import BuildError

Status = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True)
class CellChange:
    row: str  # the row's key (first column) or its position
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class TableDiff:
    label: str
    status: Status
    cells: tuple[CellChange, ...] = ()
    rows_added: tuple[str, ...] = ()
    rows_removed: tuple[str, ...] = ()
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChapterDiff:
    page: str
    status: Status
    removed: tuple[str, ...] = ()  # text lines only in the old release
    added: tuple[str, ...] = ()  # text lines only in the new release


@dataclass
class ReleaseDiff:
    old: str
    new: str
    chapters: list[ChapterDiff] = field(default_factory=list)
    tables: list[TableDiff] = field(default_factory=list)

    @property
    def changed_tables(self) -> list[TableDiff]:
        return [t for t in self.tables if t.status != "unchanged"]

    @property
    def changed_chapters(self) -> list[ChapterDiff]:
        return [c for c in self.chapters if c.status != "unchanged"]


def _read_csv(path: Path) -> pd.DataFrame:
    # Compare exactly what reviewers download: text, no type inference, no NaN coercion.
    return pd.read_csv(
        io.StringIO(path.read_text(encoding="utf-8")), dtype=str, keep_default_na=False
    )


def _row_keys(frame: pd.DataFrame) -> list[str]:
    """Rows are matched on their first column when it is unique, else on position."""
    if frame.shape[1] and frame.iloc[:, 0].is_unique:
        return [str(v) for v in frame.iloc[:, 0]]
    return [f"row {i + 1}" for i in range(len(frame))]


def diff_table(label: str, old: pd.DataFrame, new: pd.DataFrame) -> TableDiff:
    """Cell-by-cell differences of two versions of one table."""
    old_keys, new_keys = _row_keys(old), _row_keys(new)
    old_rows = dict(zip(old_keys, old.to_dict("records"), strict=True))
    new_rows = dict(zip(new_keys, new.to_dict("records"), strict=True))
    shared_columns = [c for c in new.columns if c in old.columns]
    cells = [
        CellChange(key, column, str(old_rows[key][column]), str(new_rows[key][column]))
        for key in new_keys
        if key in old_rows
        for column in shared_columns
        if old_rows[key][column] != new_rows[key][column]
    ]
    rows_added = tuple(k for k in new_keys if k not in old_rows)
    rows_removed = tuple(k for k in old_keys if k not in new_rows)
    columns_added = tuple(c for c in new.columns if c not in old.columns)
    columns_removed = tuple(c for c in old.columns if c not in new.columns)
    changed = cells or rows_added or rows_removed or columns_added or columns_removed
    return TableDiff(
        label,
        "changed" if changed else "unchanged",
        tuple(cells),
        rows_added,
        rows_removed,
        columns_added,
        columns_removed,
    )


_TAG = re.compile(r"<[^>]+>")
_MAIN = re.compile(r"<main[^>]*>(.*?)</main>", re.DOTALL)


def page_text(path: Path, stamps: tuple[str, ...] = ()) -> list[str]:
    """The readable text of a page's main content, one block per line.

    `stamps` (the release's version and commit) are replaced by a placeholder: every page
    names its release, and that is not a change a reviewer needs to read.
    """
    raw = path.read_text(encoding="utf-8")
    for stamp in sorted(filter(None, stamps), key=len, reverse=True):
        raw = raw.replace(stamp, "<release>")
    match = _MAIN.search(raw)
    body = match.group(1) if match else raw
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.DOTALL)
    body = re.sub(r"</(p|h[1-6]|li|tr|caption|figcaption|div)>", "\n", body)
    text = html.unescape(_TAG.sub("", body))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _stamps(release: Path) -> tuple[str, ...]:
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    commit = manifest.get("git_commit") or ""
    return (str(manifest.get("version") or ""), commit, commit[:12], commit[:7])


def _diff_chapter(
    page: str, old: Path | None, new: Path | None, stamps: tuple[tuple[str, ...], ...]
) -> ChapterDiff:
    if old is None:
        return ChapterDiff(page, "added")
    if new is None:
        return ChapterDiff(page, "removed")
    before, after = page_text(old, stamps[0]), page_text(new, stamps[1])
    if before == after:
        return ChapterDiff(page, "unchanged")
    removed, added = [], []
    for line in difflib.unified_diff(before, after, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return ChapterDiff(page, "changed", tuple(removed), tuple(added))


def _release_dir(output_root: Path, version: str) -> Path:
    path = output_root / version
    if not (path / "manifest.json").is_file():
        known = sorted(p.name for p in output_root.glob("*") if (p / "manifest.json").is_file())
        raise BuildError(f"no release {version!r} in {output_root} (found: {', '.join(known)})")
    return path


def _version_history_page(name: str) -> bool:
    # The version-history appendix changes in every release by design; it is not a finding.
    return name.startswith("version-history")


def diff_releases(output_root: Path, old: str, new: str) -> ReleaseDiff:
    old_dir, new_dir = _release_dir(output_root, old), _release_dir(output_root, new)
    result = ReleaseDiff(old, new)
    old_pages = {p.name: p for p in (old_dir / "html").glob("*.html")}
    new_pages = {p.name: p for p in (new_dir / "html").glob("*.html")}
    for name in sorted(old_pages.keys() | new_pages.keys()):
        if name == "search.html" or _version_history_page(name):
            continue
        stamps = (_stamps(old_dir), _stamps(new_dir))
        result.chapters.append(
            _diff_chapter(name, old_pages.get(name), new_pages.get(name), stamps)
        )
    old_tables = {p.stem: p for p in (old_dir / "tables").glob("*.csv")}
    new_tables = {p.stem: p for p in (new_dir / "tables").glob("*.csv")}
    for label in sorted(old_tables.keys() | new_tables.keys()):
        if label not in new_tables:
            result.tables.append(TableDiff(label, "removed"))
        elif label not in old_tables:
            result.tables.append(TableDiff(label, "added"))
        else:
            result.tables.append(
                diff_table(label, _read_csv(old_tables[label]), _read_csv(new_tables[label]))
            )
    return result


def render_text(diff: ReleaseDiff) -> str:
    """A terminal summary: one line per changed chapter and table, then the cells."""
    lines = [f"Changes from {diff.old} to {diff.new}"]
    lines.append(f"  chapters changed: {len(diff.changed_chapters)} of {len(diff.chapters)}")
    for chapter in diff.changed_chapters:
        lines.append(
            f"    {chapter.page}: {chapter.status}"
            + (
                f" (-{len(chapter.removed)} +{len(chapter.added)} lines)"
                if chapter.added or chapter.removed
                else ""
            )
        )
    lines.append(f"  tables changed: {len(diff.changed_tables)} of {len(diff.tables)}")
    for table in diff.changed_tables:
        lines.append(f"    {table.label}: {table.status}")
        lines += [f"      [{c.row}] {c.column}: {c.old} -> {c.new}" for c in table.cells]
        for what, names in (
            ("row added", table.rows_added),
            ("row removed", table.rows_removed),
            ("column added", table.columns_added),
            ("column removed", table.columns_removed),
        ):
            lines += [f"      {what}: {name}" for name in names]
    return "\n".join(lines)


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Changes from {{ d.old }} to {{ d.new }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2b2b}
h1,h2{color:#00606b} table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #c7d4d4;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#e6f0f0} .old{background:#fbe9e9;color:#7a1010} .new{background:#e6f4ea;color:#0b5b22}
.status{font-weight:600}
</style></head><body>
<h1>Changes from {{ d.old }} to {{ d.new }}</h1>
<p>{{ d.changed_chapters|length }} of {{ d.chapters|length }} pages and
{{ d.changed_tables|length }} of {{ d.tables|length }} tables changed.</p>
<h2>Tables</h2>
{% for t in d.changed_tables %}
<h3 id="{{ t.label }}">{{ t.label }} <span class="status">({{ t.status }})</span></h3>
{% if t.cells %}<table><thead><tr><th scope="col">Row</th><th scope="col">Column</th>
<th scope="col">{{ d.old }}</th><th scope="col">{{ d.new }}</th></tr></thead><tbody>
{% for c in t.cells %}<tr><td>{{ c.row }}</td><td>{{ c.column }}</td>
<td class="old">{{ c.old }}</td><td class="new">{{ c.new }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
{% for k in t.rows_added %}<p class="new">Row added: {{ k }}</p>{% endfor %}
{% for k in t.rows_removed %}<p class="old">Row removed: {{ k }}</p>{% endfor %}
{% for k in t.columns_added %}<p class="new">Column added: {{ k }}</p>{% endfor %}
{% for k in t.columns_removed %}<p class="old">Column removed: {{ k }}</p>{% endfor %}
{% else %}<p>No table changed.</p>{% endfor %}
<h2>Chapters</h2>
{% for c in d.changed_chapters %}
<h3>{{ c.page }} <span class="status">({{ c.status }})</span></h3>
{% for line in c.removed %}<p class="old">− {{ line }}</p>{% endfor %}
{% for line in c.added %}<p class="new">+ {{ line }}</p>{% endfor %}
{% else %}<p>No chapter changed.</p>{% endfor %}
</body></html>
"""


def render_html(diff: ReleaseDiff) -> str:
    return Environment(autoescape=True).from_string(_HTML).render(d=diff)


def write_report(output_root: Path, diff: ReleaseDiff) -> Path:
    target = output_root / f"diff-{diff.old}-{diff.new}.html"
    target.write_text(render_html(diff), encoding="utf-8")
    (output_root / f"diff-{diff.old}-{diff.new}.json").write_text(
        json.dumps(
            {
                "old": diff.old,
                "new": diff.new,
                "chapters": [c.__dict__ for c in diff.changed_chapters],
                "tables": [
                    {**t.__dict__, "cells": [c.__dict__ for c in t.cells]}
                    for t in diff.changed_tables
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return target
