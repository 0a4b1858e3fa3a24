"""diff: two fixture releases, and exactly the cells that changed between them."""

from __future__ import annotations

import json
from pathlib import Path

from quartowrap.commands.diff import diff_releases, render_html, render_text


def _release(root: Path, version: str, tables: dict[str, str], pages: dict[str, str]) -> None:
    base = root / version
    (base / "tables").mkdir(parents=True)
    (base / "html").mkdir()
    (base / "manifest.json").write_text(json.dumps({"version": version}))
    for label, csv in tables.items():
        (base / "tables" / f"{label}.csv").write_text(csv)
    for name, body in pages.items():
        (base / "html" / name).write_text(f"<html><body><main>{body}</main></body></html>")


def test_diff_reports_exactly_the_changed_cells(tmp_path: Path) -> None:
    _release(
        tmp_path,
        "1.0.0",
        {
            "tbl-regions": (
                "region,n,pct\nFlanders,410,47.40\nWallonia,300,34.68\nBrussels,155,17.92\n"
            ),
            "tbl-same": "a,b\n1,2\n",
            "tbl-gone": "x\n1\n",
        },
        {
            "03-surveys.html": "<p>We asked 865 professionals.</p><p>Unchanged.</p>",
            "01-introduction.html": "<p>Same text.</p>",
        },
    )
    _release(
        tmp_path,
        "1.1.0",
        {
            "tbl-regions": (
                "region,n,pct\nFlanders,411,47.46\nWallonia,300,34.68\nBrussels,155,17.90\n"
                "Federal,1,0.12\n"
            ),
            "tbl-same": "a,b\n1,2\n",
            "tbl-new": "y\n2\n",
        },
        {
            "03-surveys.html": "<p>We asked 866 professionals.</p><p>Unchanged.</p>",
            "01-introduction.html": "<p>Same text.</p>",
        },
    )
    diff = diff_releases(tmp_path, "1.0.0", "1.1.0")
    by_label = {t.label: t for t in diff.tables}
    regions = by_label["tbl-regions"]
    assert [(c.row, c.column, c.old, c.new) for c in regions.cells] == [
        ("Flanders", "n", "410", "411"),
        ("Flanders", "pct", "47.40", "47.46"),
        ("Brussels", "pct", "17.92", "17.90"),
    ]
    assert regions.rows_added == ("Federal",)
    assert by_label["tbl-same"].status == "unchanged"
    assert by_label["tbl-gone"].status == "removed"
    assert by_label["tbl-new"].status == "added"
    [chapter] = diff.changed_chapters
    assert chapter.page == "03-surveys.html"
    assert chapter.removed == ("We asked 865 professionals.",)
    assert chapter.added == ("We asked 866 professionals.",)
    text = render_text(diff)
    assert "[Flanders] pct: 47.40 -> 47.46" in text
    page = render_html(diff)
    assert "47.46" in page and "Row added: Federal" in page


def test_diff_of_unknown_release_names_what_exists(tmp_path: Path) -> None:
    _release(tmp_path, "1.0.0", {}, {})
    try:
        diff_releases(tmp_path, "1.0.0", "9.9.9")
    except Exception as error:
        assert "9.9.9" in str(error) and "1.0.0" in str(error)
    else:
        raise AssertionError("a missing release must be an error")
