"""The benchmark's floor makes the document the book asks for: code shown unless `echo: false`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# bench/ is a folder of scripts beside the packages, not installed: load floor.py by path
_SPEC = importlib.util.spec_from_file_location(
    "bench_floor", Path(__file__).resolve().parents[1] / "bench" / "floor.py"
)
assert _SPEC is not None and _SPEC.loader is not None
floor = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(floor)
_book_echoes, _run_chapter = floor._book_echoes, floor._run_chapter

CHAPTER = """# A chapter

```{python}
#| label: tbl-one
x = 40 + 2
print(x)
```

```{python}
#| echo: false
print("hidden code")
```
"""


def test_cells_code_is_shown_without_its_options_and_hidden_where_echo_is_false(
    tmp_path: Path,
) -> None:
    markdown = _run_chapter(CHAPTER, tmp_path, "ch")
    assert "```python\nx = 40 + 2\nprint(x)\n```" in markdown
    assert "#| label" not in markdown
    assert "42" in markdown  # the output follows its code
    assert 'print("hidden code")' not in markdown
    assert "hidden code" in markdown  # the hidden cell's output is still there


def test_the_older_floor_shows_no_code(tmp_path: Path) -> None:
    markdown = _run_chapter(CHAPTER, tmp_path, "ch", show_code=False)
    assert "```python" not in markdown
    assert "42" in markdown


def test_a_book_with_echo_false_shows_no_code(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text("execute:\n  echo: false\n", encoding="utf-8")
    assert _book_echoes(tmp_path) is False
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\n", encoding="utf-8")
    assert _book_echoes(tmp_path) is True
