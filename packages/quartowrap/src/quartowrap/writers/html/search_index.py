"""Offline full-text search data for the HTML site.

The index is a list of sections (page, anchor, heading, text) written as `search-data.js`,
a script that sets `window.KCE_SEARCH_DATA`.  A script (not JSON fetched at run time) is
what makes search work when the site is opened from `file://`, where browsers refuse
`fetch()`.  The page indexes the documents with the vendored MiniSearch on first use.

Documents are cut from the rendered HTML rather than from the pandoc AST so that every
page (chapters and generated front matter alike) is indexed the same way and the text
searched is exactly the text shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from html.parser import HTMLParser

__all__ = ["SearchDoc", "docs_from_html", "write_search_data"]

_HEADINGS = {"h1", "h2", "h3"}
_SKIP = {"script", "style", "template"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass(frozen=True)
class SearchDoc:
    """One searchable section: a heading and the text up to the next heading."""

    url: str  # page.html#anchor
    title: str  # heading text (with its number)
    page: str  # page title, shown under the result
    text: str


class _Splitter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, id)
        self.sections: list[tuple[str | None, list[str], list[str]]] = [(None, [], [])]
        self.in_heading = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        if tag in _VOID:
            self._text(" ")
            return
        self.stack.append((tag, ident))
        if tag in _SKIP:
            self.skip += 1
        elif tag in _HEADINGS:
            # With section divs pandoc puts the id on <section>, not on the heading.
            anchor = ident or next((i for _, i in reversed(self.stack[:-1]) if i), None)
            self.sections.append((anchor, [], []))
            self.in_heading += 1
        else:
            self._text(" ")

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return  # stray end tag
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in _SKIP:
                self.skip -= 1
            elif open_tag in _HEADINGS:
                self.in_heading -= 1
            if open_tag == tag:
                break
        self._text(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._text(data)

    def _text(self, data: str) -> None:
        _, heading, body = self.sections[-1]
        (heading if self.in_heading else body).append(data)


def _clean(parts: list[str]) -> str:
    text = "".join(parts).replace("\u21a9\ufe0e", " ")  # footnote back-link arrows
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=256)
def docs_from_html(page_file: str, page_title: str, html: str) -> tuple[SearchDoc, ...]:
    """Split a page's HTML fragment into one document per h1–h3 section (memoised)."""
    parser = _Splitter()
    parser.feed(html)
    parser.close()
    docs = []
    for anchor, heading, body in parser.sections:
        text, title = _clean(body), _clean(heading)
        if not text and not title:
            continue
        url = f"{page_file}#{anchor}" if anchor else page_file
        docs.append(SearchDoc(url=url, title=title or page_title, page=page_title, text=text))
    return tuple(docs)


def write_search_data(docs: list[SearchDoc]) -> bytes:
    """`search-data.js`: the documents as a global, safe to load with a <script> tag."""
    payload = json.dumps(
        [asdict(d) for d in docs], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    # `<` escaped so no data can close a script element; U+2028/9 for old JS engines.
    payload = (
        payload.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )
    return ("window.KCE_SEARCH_DATA = " + payload + ";\n").encode("utf-8")
