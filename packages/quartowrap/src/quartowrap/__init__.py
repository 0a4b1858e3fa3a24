"""quartowrap: render a Quarto book project with the `quarto` CLI or an embedded engine.

The embedded engine is built from Jupyter kernels (execution), pandoc with Lua filters
(cross-references, callouts, citations) and typst (PDF), so a project renders with
nothing but pip, and the same `_quarto.yml` + `.qmd` files stay valid Quarto.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("quartowrap")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
