"""Executing chapters in kernels: outputs as markdown, tables, figures, errors, isolation.

Kernel runs are shared through module-scoped fixtures; the chapters avoid heavy imports.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from quartowrap.errors import CellError
from quartowrap.execute.engine import ChapterProgress, execute_chapters
from quartowrap.execute.table_csv import table_csv
from quartowrap.model import ExecutedChapter, SourceLocation
from quartowrap.project.config import load_book_config

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini-book"


def make_book(root: Path, chapters: dict[str, str], extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    listing = "".join(f"    - {name}\n" for name in chapters if not name.startswith("_"))
    (root / "_quarto.yml").write_text(
        f"project:\n  type: book\nbook:\n  title: T\n  chapters:\n{listing}{extra}",
        encoding="utf-8",
    )
    for name, text in chapters.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


# --------------------------------------------------------------------------------------
# The fixture book
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ExecutedChapter], list]:
    root = tmp_path_factory.mktemp("mini") / "book"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns("_freeze", "_output"))
    config = load_book_config(root)
    events: list[ChapterProgress] = []

    def record(event: ChapterProgress) -> None:
        import threading

        assert threading.current_thread() is threading.main_thread()  # no locking needed
        events.append(event)

    results = execute_chapters(config, config.chapters, jobs=2, on_progress=record)
    assert [r.source for r in results] == [c.source for c in config.chapters]  # order kept
    return root, {r.source.as_posix(): r for r in results}, events


def test_table_cell_markdown_and_csv(mini) -> None:
    _root, chapters, _ = mini
    ch = chapters["chapters/01-data.qmd"]
    assert "| Region   | Mean score   |" in ch.markdown
    assert "| East     | 3.5          |\n\n: Mean score by region {#tbl-means}\n" in ch.markdown
    (table,) = ch.tables
    assert table.label == "tbl-means" and table.caption == "Mean score by region"
    # means of data/small.csv by hand: North (3+5)/2, South (4+2)/2, East (1+6)/2
    assert table.csv == "region,mean_score\nNorth,4.0\nSouth,3.0\nEast,3.5\n"
    assert "The file holds 6 rows from 3 regions." in ch.markdown
    assert "```{python}" not in ch.markdown and "#|" not in ch.markdown


def test_figure_markdown_output_and_stdout(mini) -> None:
    _root, chapters, _ = mini
    ch = chapters["chapters/02-results.qmd"]
    (fig,) = ch.figures
    assert fig.label == "fig-bars" and fig.caption == "Scores by region"
    assert fig.alt == "Bar chart of the score of each region and group."
    assert fig.svg.is_absolute() and fig.svg.suffix == ".svg"
    svg = fig.svg.read_text(encoding="utf-8")
    assert "<svg" in svg and "<dc:date>" not in svg
    expected = (
        f"![Scores by region]({fig.svg.as_posix()})"
        '{#fig-bars fig-alt="Bar chart of the score of each region and group."}'
    )
    assert expected in ch.markdown
    assert "The highest mean score is in **North**." in ch.markdown
    assert ":::: {.cell-output .cell-output-stdout}\n\n```\ndone: 3\n```\n\n::::" in ch.markdown
    assert "- The best region is North." in ch.markdown


def test_inline_in_included_file(mini) -> None:
    _root, chapters, _ = mini
    assert "The data are small: 6 rows would not" in chapters["chapters/03-discussion.qmd"].markdown


def test_dependencies_recorded(mini) -> None:
    root, chapters, _ = mini
    deps = chapters["chapters/01-data.qmd"].dependencies
    assert set(deps.modules) == {"helpers/__init__.py", "helpers/summary.py"}
    digest = hashlib.sha256((root / "data" / "small.csv").read_bytes()).hexdigest()
    assert deps.data_files == {"data/small.csv": digest}
    assert chapters["chapters/02-results.qmd"].dependencies.data_files == {}


def test_progress_events(mini) -> None:
    _root, _chapters, events = mini
    by_source: dict[str, list[str]] = {}
    for e in events:
        by_source.setdefault(e.source.as_posix(), []).append(e.status)
    # chapter 1 has two cells: each is announced before it runs, with its number
    assert by_source["chapters/01-data.qmd"] == ["queued", "started", "cell", "cell", "executed"]
    cells = [e.cell for e in events if e.status == "cell" and e.source.name == "01-data.qmd"]
    assert cells == [(1, 2), (2, 2)]
    assert by_source["index.qmd"] == ["static"], "a chapter without code is not 'executed'"
    assert all(
        e.seconds > 0 for e in events if e.status == "executed" and "chapters/0" in str(e.source)
    )


# --------------------------------------------------------------------------------------
# Cell options, isolation, determinism
# --------------------------------------------------------------------------------------

FIGURE = """\
```{python}
#| label: fig-%s
#| fig-cap: "Line"
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1, 2], [1, 3, 2])
plt.show()
```
"""

OPTIONS = """\
# Options

```{python}
#| echo: true
shown = 1 + 1
```

```{python}
#| warning: true
import warnings
warnings.warn("loud warning")
```

```{python}
import warnings
warnings.warn("quiet warning")
```

```{python}
#| eval: false
raise RuntimeError("never runs")
```

```{python}
#| include: false
hidden = "computed but not shown"
print("invisible")
```

```{python}
#| error: true
1 / 0
```

```{python}
#| output: false
print("no output shown")
```

```{python}
#| column: page
print("wide")
```

```{python}
#| label: tbl-frame
#| tbl-cap: "A frame"
import pandas as pd
pd.DataFrame({"a": [1, 2], "b": ["x|y", "z"]})
```

```{python}
{"k": 1}
```

```{python}
class HtmlOnly:
    def _repr_html_(self):
        return "<b>html only</b>"

HtmlOnly()
```

```{python}
import json
json.KCE_LEAK = 1
leaked = True
```

```{python}
from IPython.display import Markdown
```

Hidden value: `{python} hidden`; a Markdown value: `{python} Markdown("**bold**")`;
escaped text: `{python} "a*b"`.
"""

SIZED = """
```{python}
#| label: fig-sized
import matplotlib.pyplot as plt
plt.plot([0, 1], [0, 1])
plt.show()
```
"""

BARE_FIGURE = """
```{python}
#| label: fig-bare-%s
#| fig-cap: "A Figure object, no pyplot"
from matplotlib.figure import Figure
bare = Figure(figsize=(2, 2))
bare.subplots().plot([0, 1], [1, 0])
bare
```
"""

ISOLATION = """\
# Isolation

```{python}
import json
```

Leaked name: `{python} "leaked" in globals()`;
leaked attribute: `{python} hasattr(json, "KCE_LEAK")`.

"""


RASTER = """\
```{python}
#| label: fig-raster-%s
#| fig-cap: "A raster image inside the SVG"
#| fig-alt: "Four squares"
import matplotlib.pyplot as plt
plt.figure(figsize=(2, 2))
plt.imshow([[0, 1], [1, 0]])
```
"""


def _embedded_png_width(svg: Path) -> int:
    """Pixel width of the first PNG matplotlib embedded in an SVG (from its IHDR chunk)."""
    import base64
    import re
    import struct

    data = re.search(r'data:image/png;base64,([A-Za-z0-9+/=\s]+)"', svg.read_text())
    assert data, "no raster image in the SVG"
    png = base64.b64decode("".join(data.group(1).split()))
    return struct.unpack(">I", png[16:20])[0]


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ExecutedChapter]:
    root = make_book(
        tmp_path_factory.mktemp("features") / "book",
        {
            "options.qmd": OPTIONS,
            "isolation.qmd": ISOLATION + FIGURE % "one" + BARE_FIGURE % "one",
            "again.qmd": "# Again\n\n" + FIGURE % "two" + BARE_FIGURE % "two",
            "sized.qmd": "---\nfig-width: 3\nfig-height: 2\n---\n\n# Sized\n\n" + SIZED,
            "dpi.qmd": "---\nfig-dpi: 30\n---\n\n# Dpi\n\n" + RASTER % "low",
            "dpi-default.qmd": "# Dpi default\n\n" + RASTER % "default",
        },
        # a report's settings; Quarto's defaults (both true) are in smoke/execution-defaults
        extra="execute:\n  echo: false\n  warning: false\n",
    )
    config = load_book_config(root)
    results = execute_chapters(config, config.chapters, jobs=2, use_freeze=False)
    return {r.source.as_posix(): r for r in results}


def test_echo_warning_eval_include_error_output_column(features) -> None:
    # outputs sit between markers that keep their raw HTML/typst text (untrusted.py)
    md = re.sub(
        r"<!--/?quartowrap-output:[0-9a-f]{16}-->(\n\n)?", "", features["options.qmd"].markdown
    )
    assert "```{.python .cell-code}\nshown = 1 + 1\n```" in md
    assert "loud warning" in md and "cell-output-stderr" in md
    assert "quiet warning" not in md
    assert "never runs" not in md
    assert "invisible" not in md and "computed but not shown" in md  # via the inline value
    assert ":::: {.cell-output .cell-output-error}\n\n```\n" in md and "ZeroDivisionError" in md
    assert "no output shown" not in md
    assert (
        "::: {.column-page}\n\n:::: {.cell-output .cell-output-stdout}\n\n```\nwide\n```\n\n::::"
        "\n\n:::"
    ) in md
    assert ":::: {.cell-output .cell-output-display}\n\n```\n{'k': 1}\n```\n\n::::" in md
    assert "```{=html}\n<b>html only</b>\n```" in md
    assert "a Markdown value: **bold**;\nescaped text: a\\*b." in md


def test_dataframe_becomes_table_with_csv_from_cells(features) -> None:
    ch = features["options.qmd"]
    (table,) = ch.tables
    assert table.label == "tbl-frame"
    assert ": A frame {#tbl-frame}" in ch.markdown
    # the CSV is the frame itself (its default 0, 1, … index says nothing and is left out)
    assert table.csv.splitlines() == ["a,b", "1,x|y", "2,z"]
    # the table model travels with it: the index shown as the stub (as a notebook shows it),
    # numbers known by their type, "x|y" escaped in the markdown (a bare | ends a cell)
    assert table.model is not None and table.model["stub"] == 1
    assert [c["kind"] for c in table.model["body"][0]["cells"]] == ["text", "number", "text"]
    assert "x\\|y" in ch.markdown


def test_no_state_leaks_between_chapters(features) -> None:
    md = features["isolation.qmd"].markdown
    assert "Leaked name: False;\nleaked attribute: False." in md


def test_figures_are_byte_identical_across_kernels(features) -> None:
    one, bare_one = features["isolation.qmd"].figures
    two, bare_two = features["again.qmd"].figures
    assert bare_two.label == "fig-bare-two" and "<svg" in bare_two.svg.read_text()
    assert bare_one.svg.read_bytes() == bare_two.svg.read_bytes()
    assert one.svg != two.svg
    assert one.svg.read_bytes() == two.svg.read_bytes()


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def run_failing(root: Path, chapters: dict[str, str]) -> CellError:
    """Run a book that must fail; also check that no kernel or fork server outlives it."""
    import quartowrap.execute.engine as execute_module
    from quartowrap.execute.kernels import KernelPool

    pools: list[KernelPool] = []

    class RecordingPool(KernelPool):
        def __post_init__(self) -> None:
            super().__post_init__()
            pools.append(self)

    make_book(root, chapters)
    config = load_book_config(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(execute_module, "KernelPool", RecordingPool)
        with pytest.raises(CellError) as info:
            execute_chapters(config, config.chapters, use_freeze=False)
    for pool in pools:
        assert all(not k.alive() for k in pool._kernels)
        server = pool._server
        assert server is None or server._process is None or server._process.poll() is not None
    return info.value


def test_failing_cell_names_file_line_type_message(tmp_path: Path) -> None:
    err = run_failing(
        tmp_path,
        {
            "chapters/ok.qmd": "# Fine\n\n```{python}\nx = 1\n```\n",
            "chapters/bad.qmd": """\
                # Bad

                ```{python}
                #| label: setup
                values = {"a": 1}
                ```

                Prose.

                ```{python}
                #| echo: false
                total = 0
                total += values["sc_finance"]
                ```
                """,
        },
    )
    text = str(err)
    assert text.splitlines()[0] == "chapters/bad.qmd:13: KeyError: 'sc_finance'"
    assert 'values["sc_finance"]' in text  # traceback tail follows


def test_error_in_function_from_earlier_cell_and_included_file(tmp_path: Path) -> None:
    err = run_failing(
        tmp_path,
        {
            "ch.qmd": "# Ch\n\n```{python}\ndef f(x):\n    return 1 / x\n```\n\n"
            "{{< include _inc.qmd >}}\n",
            "_inc.qmd": "Included.\n\n```{python}\ny = 2\nf(0)\n```\n",
        },
    )
    # the deepest frame in the chapter's own code: inside f, defined in ch.qmd
    assert str(err).startswith("ch.qmd:5: ZeroDivisionError: division by zero")
    # the way there, in the author's files: the call in the included file, then f's line
    assert err.detail.splitlines() == [
        "  _inc.qmd:5",
        "     5 | f(0)",
        "       | ^^^^",
        "  ch.qmd:5, in f()",
        "     5 | return 1 / x",
        "       |        ^^^^^",
    ]
    assert "Cell In" in err.traceback, "IPython's full traceback is kept for --traceback"


def test_syntax_error_and_inline_error(tmp_path: Path) -> None:
    err = run_failing(tmp_path / "a", {"ch.qmd": "# Ch\n\n```{python}\nx = 1\ny = (\n```\n"})
    assert str(err).startswith("ch.qmd:5: SyntaxError:")
    err = run_failing(
        tmp_path / "c", {"ch.qmd": "# Ch\n\n```{python}\nx = 1\nif x <> 1: pass\n```\n"}
    )
    assert str(err).splitlines() == [
        "ch.qmd:5: SyntaxError: invalid syntax",  # no name of the kernel's temporary file
        "     5 | if x <> 1: pass",
        "       |      ^^",
    ]
    err = run_failing(tmp_path / "b", {"ch.qmd": "# Ch\n\nText\n\nValue `{python} nope + 1`.\n"})
    assert str(err).startswith("ch.qmd:5: NameError: name 'nope' is not defined")


def test_spawn_mode_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUARTOWRAP_KERNEL_MODE", "spawn")
    root = make_book(
        tmp_path,
        {
            "ch.qmd": "# Ch\n\n```{python}\nimport os\n```\n\n"
            "cwd `{python} os.getcwd() == os.environ['QUARTOWRAP_PROJECT_ROOT']`"
            " seed `{python} os.environ['PYTHONHASHSEED']`\n"
        },
    )
    config = load_book_config(root)
    (result,) = execute_chapters(config, config.chapters, use_freeze=False)
    assert "cwd True seed 0" in result.markdown


def test_forked_kernel_starts_without_debugpy_yet_a_chapter_may_import_it(
    tmp_path: Path,
) -> None:
    """The fork server preloads what a kernel imports at start, minus the Jupyter debugger:
    a fresh kernel has not loaded debugpy (about 150 modules a kernel would compile), and
    a chapter importing debugpy still gets it."""
    pytest.importorskip("debugpy")
    from quartowrap.execute.kernels import fork_available

    if not fork_available():
        pytest.skip("kernels are forked on Linux only")
    root = make_book(
        tmp_path,
        {
            "ch.qmd": "# Ch\n\n"
            "at start `{python} 'debugpy' in __import__('sys').modules`\n\n"
            # imported by a name the import scan cannot see, so the fork server has not
            "```{python}\nimport importlib\ndebugpy = importlib.import_module('debug' + 'py')\n```"
            "\n\nthen `{python} hasattr(debugpy, 'listen')`\n"
        },
    )
    config = load_book_config(root)
    (result,) = execute_chapters(config, config.chapters, use_freeze=False)
    assert "at start False" in result.markdown
    assert "then True" in result.markdown


def test_early_fork_server_is_taken_over_by_the_pool_of_its_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`render` starts the fork server before reading the configuration; the chapters'
    pool takes that one over (same project, same environment) instead of starting another,
    and one nobody took over is closed."""
    from quartowrap.execute import kernels

    if not kernels.fork_available():
        pytest.skip("kernels are forked on Linux only")
    root = make_book(tmp_path / "book", {"ch.qmd": "# Ch\n\n`{python} 6 * 7`\n"})
    other = make_book(tmp_path / "other", {"ch.qmd": "# Ch\n"})
    kernels.start_fork_server_early(root)
    kernels.start_fork_server_early(other)
    early = {server.root: server for server in kernels._EARLY}
    assert set(early) == {root.resolve(), other.resolve()}
    started: list[kernels.ForkServer] = []
    original = kernels.ForkServer.start

    def start(self: kernels.ForkServer) -> kernels.ForkServer:
        started.append(self)
        return original(self)

    monkeypatch.setattr(kernels.ForkServer, "start", start)
    config = load_book_config(root)
    (result,) = execute_chapters(config, config.chapters, use_freeze=False)
    assert "42" in result.markdown
    assert started == []  # the early one served the chapter
    assert [server.root for server in kernels._EARLY] == [other.resolve()]
    leftover = kernels._EARLY[0]
    kernels.close_early_fork_servers()
    assert kernels._EARLY == [] and leftover._closed
    assert early[root.resolve()]._closed  # closed with the pool that took it over


def test_render_starts_the_fork_server_early_only_for_a_build_that_will_execute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quartowrap import cli
    from quartowrap.execute import kernels

    calls: list[Path] = []
    monkeypatch.setattr(kernels, "fork_available", lambda: True)
    monkeypatch.setattr(kernels, "start_fork_server_early", lambda root, data: calls.append(root))
    root = make_book(tmp_path / "book", {"ch.qmd": "# Ch\n"})

    def started(*argv: str) -> bool:
        calls.clear()
        cli._start_kernels_early(cli.build_parser().parse_args(["render", *argv]))
        return calls == [root]

    assert started("--project", str(root), "--engine", "embedded")  # first build
    assert not started("--project", str(root), "--engine", "quarto")
    assert not started("--project", str(root / "ch.qmd"), "--engine", "embedded")
    assert not started(
        "--project", str(root), "--engine", "embedded", "--params-table", "editions.csv"
    )
    (root / "_freeze").mkdir()  # the freeze may serve every chapter
    assert not started("--project", str(root), "--engine", "embedded")
    assert started("--project", str(root), "--engine", "embedded", "--no-freeze")


def test_each_chapter_is_handed_on_as_soon_as_it_has_executed(tmp_path: Path) -> None:
    """`on_executed` gets every chapter that ran (so `render` can parse it while the others
    run), the same object the results list holds; a chapter reused from freeze is not
    handed on."""
    import threading

    root = make_book(
        tmp_path,
        {
            "a.qmd": "# A\n\n`{python} 1 + 1`\n",
            "b.qmd": "# B\n\n`{python} 2 + 2`\n",
            "c.qmd": "# C\n\nNo code.\n",
        },
    )
    config = load_book_config(root)
    got: list[tuple[ExecutedChapter, bool]] = []

    def record(chapter: ExecutedChapter) -> None:
        got.append((chapter, threading.current_thread() is threading.main_thread()))

    results = execute_chapters(config, config.chapters, on_executed=record)
    assert sorted(c.source.as_posix() for c, _ in got) == ["a.qmd", "b.qmd"]
    assert all(any(c is r for r in results) for c, _ in got)
    assert not any(in_main for _, in_main in got)  # from the chapters' worker threads
    got.clear()
    execute_chapters(config, config.chapters, on_executed=record)  # all from freeze
    assert got == []


def test_table_csv_from_markdown() -> None:
    md = "| Name | Note |\n|:--|--:|\n| a\\|b | \\*x\\* |\n| c | 2 |\n\nafter"
    assert table_csv(md) == "Name,Note\na|b,*x*\nc,2\n"


def test_table_csv_from_grid_table() -> None:
    grid = "+---+-----+\n| a | b   |\n+===+=====+\n| 1 | x   |\n|   | y   |\n+---+-----+\n"
    assert table_csv(grid) == "a,b\n1,x y\n"


def test_pool_never_loses_a_wakeup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many concurrent acquires with uneven boot times all get a kernel (no kernel started)."""
    import random
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from quartowrap.execute.kernels import KernelPool

    class FakeKernel:
        def close(self) -> None:
            pass

    rng = random.Random(1)

    def boot(self: KernelPool, n: int, attempt: int = 1) -> FakeKernel:
        time.sleep(rng.random() / 50)
        return FakeKernel()

    monkeypatch.setattr(KernelPool, "_boot", boot)
    for prestart, n in ((1, 30), (2, 30), (3, 7)):
        pool = KernelPool(root=tmp_path, env={}, prestart=prestart, mode="spawn").start(n)
        got: list[object] = []
        lock = threading.Lock()

        def take(
            _: int, pool: KernelPool = pool, got: list[object] = got, lock: threading.Lock = lock
        ) -> None:
            kernel = pool.acquire()
            time.sleep(rng.random() / 100)
            with lock:
                got.append(kernel)

        with ThreadPoolExecutor(max_workers=prestart + 1) as ex:
            list(ex.map(take, range(n), timeout=30))
        pool.close()
        assert len(got) == n


def test_preload_candidates_follow_project_modules(tmp_path: Path) -> None:
    from quartowrap.execute.import_scan import preload_candidates

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("import json\n")
    (tmp_path / "pkg" / "stats.py").write_text("from . import util\nimport scipy.stats\n")
    (tmp_path / "pkg" / "util.py").write_text("import numpy as np\n")
    cell = "from pkg import stats\nimport pandas as pd\nfrom pkg.stats import thing\n"
    names = preload_candidates([cell], tmp_path)
    assert {"json", "scipy.stats", "numpy", "pandas"} <= set(names)
    assert not any(n.startswith("pkg") for n in names)


def test_document_figure_size(features) -> None:
    import re

    (fig,) = features["sized.qmd"].figures
    width = float(re.search(r'<svg[^>]* width="([0-9.]+)pt"', fig.svg.read_text()).group(1))
    assert width <= 3 * 72  # fig-width: 3 (inches); matplotlib's default would be 6.4


def test_execute_dir_file_runs_in_the_chapter_directory(tmp_path: Path) -> None:
    root = make_book(
        tmp_path,
        {"part/ch.qmd": "# Ch\n\n```{python}\nimport os\n```\n\nIn `{python} os.getcwd()`.\n"},
    )
    quarto = (root / "_quarto.yml").read_text()
    (root / "_quarto.yml").write_text(
        quarto.replace("type: book", "type: book\n  execute-dir: file")
    )
    config = load_book_config(root)
    (result,) = execute_chapters(config, config.chapters, use_freeze=False)
    assert f"In {(root / 'part').resolve()}." in result.markdown.replace("\\", "")


def test_cell_figure_size_fills_the_missing_side() -> None:
    from quartowrap.execute.engine import _cell_figure_size
    from quartowrap.project.qmd import CodeCell

    def cell(**options: object) -> CodeCell:
        loc = SourceLocation(Path("c.qmd"), 1)
        return CodeCell(0, "python", "", "", dict(options), loc, ())

    assert _cell_figure_size(cell(), None) is None
    assert _cell_figure_size(cell(), (5.0, 3.0)) is None  # the document size stays in force
    assert _cell_figure_size(cell(**{"fig-width": 8, "fig-height": 2}), None) == (8.0, 2.0)
    assert _cell_figure_size(cell(**{"fig-width": 8}), None) == (8.0, 4.8)  # matplotlib's
    assert _cell_figure_size(cell(**{"fig-height": 2}), (5.0, 3.0)) == (5.0, 2.0)


def test_code_fold_wraps_echoed_code_in_details() -> None:
    from quartowrap.execute.weave import _fold_code
    from quartowrap.project.qmd import CodeCell

    def cell(**options: object) -> CodeCell:
        return CodeCell(0, "python", "", "", dict(options), SourceLocation(Path("c.qmd"), 1), ())

    code = "```{.python .cell-code}\nx = 1\n```"
    assert _fold_code(code, cell(), {}) == code
    assert _fold_code(code, cell(**{"code-fold": False}), {"code-fold": True}) == code
    folded = _fold_code(code, cell(**{"code-fold": True}), {})
    assert folded == (
        '```{=html}\n<details class="code-fold">\n<summary>Code</summary>\n```\n\n'
        f"{code}\n\n```{{=html}}\n</details>\n```"
    )
    shown = _fold_code(code, cell(), {"code-fold": "show", "code-summary": "R & D"})
    assert '<details class="code-fold" open>\n<summary>R &amp; D</summary>' in shown


def test_kernel_start_retries_when_a_port_was_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process binding one of the chosen ports first must not fail the build."""
    import socket

    import jupyter_client.connect as connect
    from quartowrap.execute.kernels import KernelPool

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    real = connect.write_connection_file
    calls: list[int] = []

    def first_time_taken(fname: str, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            kwargs["shell_port"] = taken.getsockname()[1]
        return real(fname, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(connect, "write_connection_file", first_time_taken)
    pool = KernelPool(root=tmp_path, env=dict(os.environ), prestart=1, mode="spawn").start(1)
    try:
        kernel = pool.acquire()
        assert kernel.alive() and len(calls) == 2
    finally:
        pool.close()
        taken.close()


def test_fig_dpi_sets_the_resolution_of_raster_parts(features) -> None:
    """Quarto's `fig-dpi`: the SVG stays vector, an image inside it is rasterised at that
    resolution (matplotlib's default is 100 dpi)."""
    [low] = features["dpi.qmd"].figures
    [default] = features["dpi-default.qmd"].figures
    low_px, default_px = _embedded_png_width(low.svg), _embedded_png_width(default.svg)
    assert low_px < 70 < 120 < default_px  # about 2 in x 0.77 of the width x dpi


def _kernel_prints(kernel, code: str) -> str:  # type: ignore[no-untyped-def]
    from quartowrap.execute.engine import _request

    reply = _request(kernel, code, timeout=60)
    return "".join(str(c.get("text", "")) for kind, c in reply.outputs if kind == "stream")


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="the fork server is Linux-only")
def test_fork_server_gives_later_kernels_what_earlier_ones_imported(tmp_path: Path) -> None:
    """A kernel's lazily imported library parts are imported once by the fork server, so
    the kernels forked after it start with them; packages it never loaded stay out."""
    from quartowrap.execute.kernels import KernelPool, kernel_environment

    probe = "import sys; print([m for m in ('json.tool', 'wsgiref.util') if m in sys.modules])"
    env = kernel_environment(tmp_path, None)
    with KernelPool(root=tmp_path, env=env, prestart=1, mode="fork", learns=True) as pool:
        pool.start()
        first = pool.acquire()
        assert _kernel_prints(first, probe).strip() == "[]"
        _kernel_prints(first, "import json.tool, wsgiref.util")
        first.close()
        pool.learn(["json.tool", "wsgiref.util"])
        pool.acquire().close()  # booted ahead, before anything was learned
        later = pool.acquire()
        # json is loaded in the fork server (the runtime uses it), wsgiref is not: left out
        assert _kernel_prints(later, probe).strip() == "['json.tool']"


GC_CHAPTER = "# GC\n\n```{python}\nimport gc\nprint(gc.isenabled(), gc.collect() >= 0)\n```\n"


def test_a_chapter_kernel_collects_garbage_as_any_python_does(tmp_path) -> None:
    """The fork server imports with the collector off and freezes its heap before forking
    (kernel_runtime._zygote_main); the chapter's own kernel has it on again."""
    root = make_book(
        tmp_path / "book",
        {"gc.qmd": GC_CHAPTER},
    )
    config = load_book_config(root)
    [chapter] = execute_chapters(config, config.chapters, jobs=1, use_freeze=False)
    assert "True True" in chapter.markdown
