"""Every kind of table a chapter can publish, through a small book to HTML, PDF and CSV.

One render of a copy of the mini fixture book with an extra chapter holding a DataFrame
(MultiIndex columns, named index), `show_table`, a pandas Styler, a great_tables GT (when
installed), and a pipe and a grid table in prose — each with text that must stay text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.progress import Progress

pytestmark = pytest.mark.slow

HOSTILE = '<script>alert(1)</script> #read("/etc/passwd") $5 *not bold*'

CHAPTER = f"""# Tables {{#sec-tables}}

```{{python}}
import pandas as pd
from quartowrap.authoring import show_table

hostile = {HOSTILE!r}
columns = pd.MultiIndex.from_tuples(
    [("Belgium", "n"), ("Belgium", "%"), ("Brussels", "n"), ("Brussels", "%")]
)
frame = pd.DataFrame(
    [[10, 12.5, 3, 30.0], [70, 87.5, 7, 70.0]],
    index=pd.Index(["Yes", hostile], name="Answer"),
    columns=columns,
)
```

```{{python}}
#| label: tbl-frame
#| tbl-cap: "A frame with spanners"
frame
```

```{{python}}
#| label: tbl-shown
#| tbl-cap: "A shown table"
shown = pd.DataFrame({{"Item": ["First", hostile], "Count (n)": ["12 (4 %)", "1 234"]}})
show_table(shown, pd.DataFrame({{"item": ["first", "second"], "count": [12, 1234]}}))
```

```{{python}}
#| label: tbl-styled
#| tbl-cap: "A styled table"
styled = pd.DataFrame({{"region": ["Brussels", "Flanders"], "secret": ["s1", "s2"],
                        "share": [0.125, 0.5]}})
styled.style.format({{"share": "{{:.1%}}"}}).hide(axis="index").hide(["secret"], axis=1)
```

```{{python}}
#| label: tbl-gt
#| tbl-cap: "A great table"
try:
    from great_tables import GT
except ImportError:
    GT = None
gt_frame = pd.DataFrame({{"region": ["Brussels", "Wallonia"], "level": ["Regional", "Federal"],
                          "n": [137, 5]}})
GT(gt_frame, rowname_col="region", groupname_col="level").tab_spanner(
    "Respondents", columns=["n"]).tab_source_note(
    "Source: constructed for this test") if GT else show_table(gt_frame)
```

| Item | Count |
|:-----|------:|
| Pipe row | 7 (1 %) |

: A pipe table in prose {{#tbl-pipe}}

+------------+--------+
| Level      | Docs   |
+============+========+
| Federal level       |
+------------+--------+
| One        | 2, 3   |
+------------+--------+

: A grid table in prose {{#tbl-grid}}
"""


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, mini_book: Any) -> Path:
    project = mini_book(tmp_path_factory.mktemp("tables") / "book", "04-tables.qmd", CHAPTER)
    result = render_project(
        project, RenderOptions(strict=True), progress=Progress(plain=True, quiet=True)
    )
    return result.release_dir


def _table_html(release: Path, label: str) -> str:
    page = (release / "html" / "04-tables.html").read_text(encoding="utf-8")
    # Quarto's table float: div#label.quarto-float > figure > figcaption + the table
    match = re.search(rf'<div id="{label}" class="quarto-float[^"]*">.*?</table>', page, re.S)
    assert match, label
    return match.group(0)


def _pdf_text(release: Path) -> str:
    [pdf] = release.glob("*.pdf")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    return text.replace("\u00a0", " ").replace("\u201c", '"').replace("\u201d", '"')


def test_dataframe_spanners_and_stub_in_html(release: Path) -> None:
    table = _table_html(release, "tbl-frame")
    assert re.search(r'<th[^>]*colspan="2" style="text-align: center;">Belgium</th>', table)
    assert re.search(r'<th[^>]*colspan="2"[^>]*>Brussels</th>', table)
    assert re.search(r"<th[^>]*>Yes</th>", table)  # the index is the stub: row headers
    assert 'style="text-align: right;"' in table  # number columns


def test_every_kind_of_table_escapes_text_from_data_in_html(release: Path) -> None:
    page = (release / "html" / "04-tables.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    assert "<em>not bold</em>" not in page


def test_styler_and_gt_print_their_display_values(release: Path) -> None:
    styled = _table_html(release, "tbl-styled")
    assert "12.5%" in styled and "s1" not in styled and "secret" not in styled
    gt_table = _table_html(release, "tbl-gt")
    assert "Brussels" in gt_table
    try:
        import great_tables  # noqa: F401
    except ImportError:
        return
    assert re.search(r">\s*Respondents\s*<", gt_table)
    # a row group heads its rows across the whole table, stub included
    assert re.search(r'<th[^>]*colspan="2"[^>]*><strong>Regional</strong></th>', gt_table)
    assert re.search(r"<tfoot>\s*<tr>\s*<td colspan=\"2\"[^>]*>Source: constructed", gt_table)


def test_prose_tables_print_from_the_model(release: Path) -> None:
    pipe = _table_html(release, "tbl-pipe")
    assert re.search(r'<td class="nowrap" style="text-align: right;">7 \(1 %\)</td>', pipe)
    grid = _table_html(release, "tbl-grid")
    assert re.search(r'<td colspan="2"[^>]*style="text-align: left;"[^>]*>Federal level', grid)


def test_csv_exports_are_the_tidy_data(release: Path) -> None:
    tables = release / "tables"
    assert (tables / "tbl-shown.csv").read_text() == "item,count\nfirst,12\nsecond,1234\n"
    frame = (tables / "tbl-frame.csv").read_text().splitlines()
    assert frame[:2] == [",Belgium,Belgium,Brussels,Brussels", ",n,%,n,%"]
    assert frame[3] == "Yes,10,12.5,3,30.0"
    assert (tables / "tbl-styled.csv").read_text() == "region,share\nBrussels,0.125\nFlanders,0.5\n"


def test_pdf_prints_every_table_with_text_as_text(release: Path) -> None:
    text = _pdf_text(release)
    for caption in ("A frame with spanners", "A shown table", "A styled table", "A great table"):
        assert caption in text
    assert "A pipe table in prose" in text and "Federal level" in text
    assert text.count('#read("/etc/passwd")') >= 2 and "$5 *not bold*" in text
    assert "Belgium" in text and "12 (4 %)" in text and "root:" not in text
    assert html.escape("<script>") not in text
