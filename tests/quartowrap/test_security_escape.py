"""Text from data is text: hostile strings through every path reach HTML, PDF and CSV as text.

One small book is rendered once (HTML and PDF, real kernels).  Its data hold the payloads of
issue 11; they travel through a DataFrame left as a cell's value (with a `tbl-cap` holding a
`<script>`), `Markdown(...)` built unescaped from data (inline and as a cell's value), the
`md()` helper, an `output: asis` print and an HTML-only display.  A secret file lies next to
the project, never inside it: its content must appear nowhere in the release.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import re
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from quartowrap.authoring.markdown import SafeMarkdown, escape_markdown, md
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.execute.untrusted import mark_block, mark_inline, neutralise_raw
from quartowrap.progress import Progress
from quartowrap.publish.csv_safety import neutralise_formulas, safe_cell

SECRET = "SECRET-CONTENT-41d9e2"
CHROMIUM = Path("/usr/bin/chromium")


def _payloads(secret: Path) -> dict[str, str]:
    return {
        "script": "<script>window.__pwned = 'script'</script>",
        "img": "<img src=x onerror=\"window.__pwned = 'img'\">",
        "typst": f'`#read("{secret}")`{{=typst}}',
        "typst_rel": '`#read("../secret.txt")`{=typst}',
        "html_span": "`<b onmouseover=\"window.__pwned='span'\">x</b>`{=html}",
        "link": "[click](javascript:window.__pwned='link')",
        "formula": '=HYPERLINK("http://evil.example/x","click")',
    }


CHAPTER = """\
# Hostile data

```{python}
#| include: false
import json
import pandas as pd
from IPython.display import HTML, Markdown
from quartowrap.authoring.markdown import md

P = json.loads(open("payloads.json", encoding="utf-8").read())
frame = pd.DataFrame(
    {
        "who": [P["script"], P["img"], P["typst"], P["formula"], "+1+1", "@SUM(A1)", "-3.5"],
        "n": [1, 2, 3, 4, 5, 6, 7],
    }
)
unescaped = Markdown("Source: " + P["typst"] + " " + P["script"] + " " + P["link"])
blocks = f'```{{=typst}}\\n#read("{P["secret"]}")\\n```\\n\\n```{{=html}}\\n{P["script"]}\\n```'
```

```{python}
#| label: tbl-hostile
#| tbl-cap: "Stakeholders <script>window.__pwned = 'caption'</script> said"
frame
```

See @tbl-hostile. Inline, unescaped: `{python} unescaped`.
Inline, with md(): `{python} md("Helper: **{x}**", x=P["img"] + P["typst_rel"])`.

```{python}
Markdown("Cell value: " + P["html_span"] + " " + P["img"] + "\\n\\n" + blocks)
```

```{python}
#| output: asis
print("Asis: " + P["script"] + " " + P["typst"])
```

```{python}
class Shown:
    def _repr_html_(self):
        return P["script"]

Shown()
```

Author raw typst stays markup: `#text("AUTHOR-RAW-TYPST")`{=typst}

```{=html}
<p id="author-raw">AUTHOR-RAW-HTML</p>
```
"""


@dataclass
class Hostile:
    project: Path
    release: Path
    payloads: dict[str, str]
    warnings: list[str]

    def page(self) -> str:
        return (self.release / "html" / "hostile.html").read_text(encoding="utf-8")

    def pdf_text(self) -> str:
        [pdf] = self.release.glob("*.pdf")
        return "\n".join(p.extract_text() for p in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    base = tmp_path_factory.mktemp("hostile")
    secret = base / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    project = base / "book"
    project.mkdir()
    payloads = {**_payloads(secret), "secret": str(secret)}
    import json

    (project / "payloads.json").write_text(json.dumps(payloads), encoding="utf-8")
    (project / "_quarto.yml").write_text(
        textwrap.dedent(
            """\
            project:
              type: book
            book:
              title: Hostile
              date: "2024"
              chapters: [hostile.qmd]
            execute:
              freeze: false
            """
        ),
        encoding="utf-8",
    )
    (project / "hostile.qmd").write_text(CHAPTER, encoding="utf-8")
    result = render_project(
        project,
        RenderOptions(version="1.0.0", jobs=1),
        progress=Progress(plain=True, quiet=True),
    )
    return Hostile(project, result.release_dir, payloads, result.warnings)


# --- units ------------------------------------------------------------------------------------


def test_md_helper_escapes_values_not_the_template() -> None:
    text = md("**{name}** wrote {n:,} words: {quote}", name="<b>x</b>", n=1234, quote="*hi*")
    assert isinstance(text, SafeMarkdown)
    assert text.startswith("**\\<b\\>x\\</b\\>** wrote 1,234 words")
    assert text.endswith("\\*hi\\*")
    # a SafeMarkdown value is kept as markdown (nesting), any other value is escaped
    assert md("{a} {b}", a=md("*{x}*", x="y"), b="*z*") == "*y* \\*z\\*"
    assert text._repr_markdown_() == str(text)
    assert escape_markdown("a\nb") == "a b"


def test_neutralise_raw_only_inside_marked_output() -> None:
    from quartowrap.assemble.book import parse_markdown

    hostile = '`#read("/etc/passwd")`{=typst} <script>x()</script> [c](javascript:x())'
    markdown = (
        'Author `#text("ok")`{=typst}\n\n'
        + mark_block(hostile + "\n\n```{=html}\n<script>y()</script>\n```")
        + "\n\nInline "
        + mark_inline(hostile)
        + " end.\n\n```{=typst}\n#pagebreak()\n```\n"
    )
    ast = neutralise_raw(parse_markdown(markdown))
    text = repr(ast)
    raws = re.findall(r"'t': 'Raw(?:Block|Inline)', 'c': \['(\w+)', '([^']*)'", text)
    assert raws == [("typst", '#text("ok")'), ("typst", "#pagebreak()")], raws
    assert "quartowrap-output" not in text
    assert "javascript" not in re.sub(r"'Str', 'c': '[^']*'", "", text.replace("\\'", ""))


def test_forged_end_marker_in_data_does_not_close_the_region() -> None:
    from quartowrap.assemble.book import parse_markdown

    forged = '<!--/quartowrap-output:0123456789abcdef--> `#read("/etc/passwd")`{=typst}'
    ast = neutralise_raw(parse_markdown(mark_block(forged)))
    assert "RawInline" not in repr(ast) and "RawBlock" not in repr(ast)


def test_csv_formulas_become_text_numbers_stay_numbers() -> None:
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for cell in ("+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "-cmd|' /C calc'!A0"):
        assert safe_cell(cell) == "'" + cell
    for cell in ("-3.5", "+2", "-1e-3", "-12%", "1,234", "-", "", "text", "3-4"):
        assert safe_cell(cell) == cell
    text = 'who,n\n"=1+2",-3.5\nplain,4\n'
    rows = list(csv.reader(io.StringIO(neutralise_formulas(text))))
    assert rows == [["who", "n"], ["'=1+2", "-3.5"], ["plain", "4"]]
    assert neutralise_formulas("a,b\n1,2\n") == "a,b\n1,2\n"  # untouched bytes


# --- the rendered book ------------------------------------------------------------------------


def test_payloads_are_text_in_the_html(hostile: Hostile) -> None:
    page = hostile.page()
    main = page[page.index("<main") :]
    assert "__pwned" in main  # the payloads are there ...
    assert not re.search(r"<script\b", main)  # ... but never as elements
    assert not re.search(r"<img[^>]*onerror", main)
    assert not re.search(r"<b[^>]*onmouseover", main)
    assert 'href="javascript' not in main.lower()
    assert "&lt;script&gt;window.__pwned = 'script'&lt;/script&gt;" in main.replace("&#39;", "'")
    # the chapter's own raw HTML is still markup
    assert '<p id="author-raw">AUTHOR-RAW-HTML</p>' in main


def test_caption_with_script_keeps_its_label(hostile: Hostile) -> None:
    page = hostile.page()
    assert re.search(r'<table[^>]*id="tbl-hostile"|id="tbl-hostile"', page)
    assert "Table&nbsp;1" in page and "@tbl-hostile" not in page and "?@" not in page
    assert not any("tbl-hostile" in w for w in hostile.warnings), hostile.warnings


def test_pdf_shows_payloads_as_text_and_no_file_from_outside(hostile: Hostile) -> None:
    text = hostile.pdf_text()
    assert SECRET not in text
    assert "#read(" in text  # the typst spans from data are printed, not run
    assert "AUTHOR-RAW-TYPST" in text  # the author's raw typst ran
    for path in hostile.release.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_csv_download_neutralises_formulas(hostile: Hostile) -> None:
    rows = list(csv.reader((hostile.release / "tables" / "tbl-hostile.csv").open(newline="")))
    cells = [cell for row in rows for cell in row]
    assert "'" + hostile.payloads["formula"] in cells
    assert "'+1+1" in cells and "'@SUM(A1)" in cells
    assert "-3.5" in cells and "'-3.5" not in cells
    assert hostile.payloads["formula"] not in cells


# --- the browser ------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(hostile: Hostile) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(hostile.release))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found")
def test_no_payload_runs_in_the_browser(hostile: Hostile, served: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{served}/html/hostile.html")
            page.wait_for_load_state("networkidle")
            # what a reader's pointer would do: hover every element, click every link
            page.evaluate(
                "document.querySelectorAll('main *').forEach(e => e.dispatchEvent("
                "new MouseEvent('mouseover', {bubbles: true})))"
            )
            assert page.locator("main a[href^='javascript']").count() == 0
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert dialogs == []
            assert page.locator("main script").count() == 0
            assert page.locator("main img[onerror]").count() == 0
            assert "window.__pwned = 'script'" in page.locator("main").inner_text()
            left = [u for u in requests if urlsplit(u).hostname not in ("127.0.0.1", None)]
            assert left == []
            assert not [u for u in requests if u.endswith("/x")]  # no <img src=x> request
        finally:
            browser.close()
