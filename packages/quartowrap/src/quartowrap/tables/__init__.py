"""One table model, built once from whatever a cell or the prose gives, printed by each writer.

`model` (the data structure, JSON in and out, dependency-free so chapters' kernels and
`quartowrap.authoring` can use it), `build` (from a show_table payload, a DataFrame, a
great_tables `GT`, a pandas `Styler`, a pandoc Table), `layout` (alignment, widths, group
rows: decided once), and the printers `html` and `typst` that only print.
"""
