"""Pandoc writes the HTML of many pages in one `pandoc lua` process; fragments are memoised."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pypandoc

from quartowrap.errors import BuildError
from quartowrap.integrity import read_sealed, write_sealed

_TEMPLATES = Path(__file__).resolve().parent / "templates"

# --------------------------------------------------------------------------------------
# Pandoc: many documents, one process
# --------------------------------------------------------------------------------------
_FRAGMENT_CACHE: dict[str, str] = {}
_FRAGMENT_CACHE_MAX = 2048


def render_fragments(
    jobs: Sequence[tuple[str, Any]], *, cache_dir: Path | None = None
) -> list[str]:
    """HTML5 fragments for `(reader, payload)` jobs: ("json", pandoc AST) or ("markdown", text).

    Markdown jobs are read with raw HTML switched off: they carry text from metadata,
    which must show as text.  Results are memoised by content hash (the pandoc version is
    part of the key) in memory and, with `cache_dir`, on disk between builds, so a rebuild
    runs pandoc only for the pages that changed.
    """
    lines = []
    for reader, payload in jobs:
        if reader not in {"json", "markdown"}:
            raise ValueError(f"unknown reader {reader!r}")
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"{reader}\t{text}")
    salt = _pandoc_salt()
    keys = [hashlib.sha256((salt + line).encode("utf-8")).hexdigest() for line in lines]
    todo: dict[str, str] = {}
    for key, line in zip(keys, lines, strict=True):
        if key in _FRAGMENT_CACHE or key in todo:
            continue
        cached = cache_dir / f"{key}.html" if cache_dir is not None else None
        # checked against its checksum: a truncated fragment is never published
        html = read_sealed(cached, "HTML fragment") if cached is not None else None
        if html is not None:
            _remember(key, html)
        else:
            todo[key] = line
    if todo:
        missing = sorted(todo.items())
        stdin = "\n".join(line for _, line in missing) + "\n"
        cmd = [pypandoc.get_pandoc_path(), "lua", str(_TEMPLATES / "fragments.lua")]
        proc = subprocess.run(cmd, input=stdin.encode("utf-8"), capture_output=True, check=False)
        if proc.returncode != 0:
            raise BuildError(
                "pandoc could not write the HTML pages",
                detail=proc.stderr.decode("utf-8", "replace").strip(),
            )
        outputs = json.loads(proc.stdout.decode("utf-8"))
        for (key, _), html in zip(missing, outputs, strict=True):
            _remember(key, html)
            if cache_dir is not None:
                write_sealed(cache_dir / f"{key}.html", html)
    return [quarto_entities(_cell_code_on_div(_FRAGMENT_CACHE[k])) for k in keys]


def _remember(key: str, html: str) -> None:
    if len(_FRAGMENT_CACHE) >= _FRAGMENT_CACHE_MAX:
        _FRAGMENT_CACHE.clear()
    _FRAGMENT_CACHE[key] = html


@lru_cache(maxsize=1)
def _pandoc_salt() -> str:
    """Cache key part: the pandoc binary and the batch script (a new version re-renders)."""
    script = (_TEMPLATES / "fragments.lua").read_bytes()
    binary = Path(pypandoc.get_pandoc_path())
    stat = binary.stat()
    return hashlib.sha256(
        script + f"{binary}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    ).hexdigest()


_CELL_CODE_RE = re.compile(
    r'<div class="sourceCode"( id="[^"]*")?>(\s*)<pre(\s+)class="([^"]*\bcell-code\b[^"]*)"'
)


def _cell_code_on_div(html: str) -> str:
    """An echoed cell's code: `cell-code` on the `div.sourceCode` pandoc wraps around the
    highlighted `pre` (where Quarto's pages carry it), no longer on the `pre`."""

    def move(m: re.Match[str]) -> str:
        ident, gap, space, classes = m.groups()
        rest = " ".join(c for c in classes.split() if c != "cell-code")
        return f'<div class="sourceCode cell-code"{ident or ""}>{gap}<pre{space}class="{rest}"'

    return _CELL_CODE_RE.sub(move, html)


_NBSP_SKIP_RE = re.compile(r"(<(script|style)\b.*?</\2\s*>)", re.S | re.I)


def quarto_entities(html: str) -> str:
    """No-break spaces written `&nbsp;`, as Quarto's pages have them ("Figure&nbsp;1"):
    Quarto serialises its pages through a DOM, which escapes U+00A0, and users' scripts and
    tests match that text.  Script and style elements keep their characters."""
    if "\u00a0" not in html:
        return html
    parts = _NBSP_SKIP_RE.split(html)
    out = []
    # split() yields text, whole element, tag name, text, …
    for k in range(0, len(parts), 3):
        out.append(parts[k].replace("\u00a0", "&nbsp;"))
        if k + 1 < len(parts):
            out.append(parts[k + 1])
    return "".join(out)


_THEAD_RE = re.compile(r"<thead>.*?</thead>", re.S)
_TBODY_RE = re.compile(r"<tbody>.*?</tbody>", re.S)
_TH_RE = re.compile(r"<th(?=[\s>])(?![^>]*\bscope=)")


def _scope_header_cells(html: str) -> str:
    """Give every header cell its scope: pandoc writes bare `<th>` (WCAG H63)."""
    html = _THEAD_RE.sub(lambda m: _TH_RE.sub('<th scope="col"', m.group(0)), html)
    return _TBODY_RE.sub(lambda m: _TH_RE.sub('<th scope="row"', m.group(0)), html)
