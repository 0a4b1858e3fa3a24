"""Print the table model as a pandoc pipe table, for the chapter's markdown.

The chapter's markdown stays what Quarto would read (a pipe table and its caption line), so
cross-references and captions work as for any table; the writers then print the model.
Every cell is escaped: text from data is text. Spanners are left to the model (a pipe table
has one header row); a group row is a row with its label in the first cell.
"""

from __future__ import annotations

from quartowrap.authoring.markdown import escape_markdown
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Table

_RULE = {"left": ":---", "right": "---:", "center": ":---:"}


def to_pipe(table: Table) -> str:
    """The table as a pipe table (leaf header row, one line per body row)."""
    n = table.ncols
    columns = layout(table).columns
    header = table.head[-1].cells if table.head else []
    lines = [
        "| " + " | ".join(escape_markdown(c.text) for c in header) + " |",
        "|" + "|".join(_RULE[c.align] for c in columns) + "|",
    ]
    for row in table.body:
        texts = [escape_markdown(c.text) for c in row.cells]
        if row.group:
            texts = [f"**{texts[0]}**" if texts[0] else "", *[""] * (n - 1)]
        lines.append("| " + " | ".join(texts) + " |")
    return "\n".join(lines)
