"""Diagram cells are drawn offline, cached by source, and a broken one names its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project import diagrams
from quartowrap.project.qmd import parse_qmd

pytestmark = pytest.mark.skipif(
    not (diagrams.available("dot") and diagrams.available("mermaid")),
    reason="quartowrap[diagrams] is not installed",
)

DOC = """# Flows

```{dot}
//| label: fig-chain
//| fig-cap: A chain
//| fig-width: 3
digraph { "Survey wave" -> Release; }
```
"""


def test_a_dot_cell_becomes_a_figure_with_its_svg(tmp_path: Path) -> None:
    (tmp_path / "ch.qmd").write_text(DOC, encoding="utf-8")
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    text = "\n".join(block.text for block in doc.blocks)
    assert "{#fig-chain" in text and 'fig-alt="A chain"' in text and 'width="3in"' in text
    [svg] = (tmp_path / diagrams.CACHE_DIR).glob("dot-*.svg")
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    assert "Survey wave</text>" in svg.read_text(encoding="utf-8")  # text, not outlines


def test_drawing_is_deterministic_and_cached(tmp_path: Path) -> None:
    where = SourceLocation(Path("x.qmd"), 3)
    first = diagrams.draw("mermaid", "flowchart LR\n  A[Alpha] --> B[Beta]", tmp_path, where)
    stamp = first.stat().st_mtime_ns
    again = diagrams.draw("mermaid", "flowchart LR\n  A[Alpha] --> B[Beta]", tmp_path, where)
    assert again == first and again.stat().st_mtime_ns == stamp  # not drawn twice
    drawn = first.read_bytes()
    first.unlink()
    redrawn = diagrams.draw("mermaid", "flowchart LR\n  A[Alpha] --> B[Beta]", tmp_path, where)
    assert redrawn.read_bytes() == drawn  # the same bytes when drawn again
    assert "foreignObject" not in redrawn.read_text(encoding="utf-8")
    assert ">Alpha<" in redrawn.read_text(encoding="utf-8")


def test_a_broken_diagram_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.qmd").write_text("# B\n\n```{dot}\ndigraph { a -> }\n```\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        parse_qmd(Path("bad.qmd"), tmp_path)
    assert str(error.value).startswith("bad.qmd:3: dot diagram:")
