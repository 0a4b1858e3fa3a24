"""Smoke documents: one Quarto feature per file, expectations in its own front matter.

Modelled on Quarto's `tests/docs/smoke-all/**.qmd`.  Each `tests/smoke/*.qmd` (files with a
leading underscore are include targets, not documents) states what its rendered output must
contain, under `_quarto: tests:` (the key Quarto ignores when rendering):

```yaml
_quarto:
  tests:
    html:                                   # checks on html/<stem>.html
      ensureHtmlElements: [[present…], [absent…]]       # CSS selectors (subset below)
      ensureFileRegexMatches: [[present…], [absent…]]   # Python regexes on the HTML text
    typst:                                  # checks on this chapter's part of main.typ
      ensureTypstFileRegexMatches: [[present…], [absent…]]
    pdf:                                    # checks on the text pypdf extracts from the PDF
      ensurePdfRegexMatches: [[present…], [absent…]]
    files:                                  # regexes on other release files (our addition)
      figures/fig-x.svg: [[present…], [absent…]]
    strict: true                            # render with --strict (default false)
    expect-error: "regex"                   # the render must fail; BuildError text matches
```

The second list of each pair may be omitted.  Selectors: compound selectors of a tag, `#id`,
`.class` and `[attr]`, `[attr=v]`, `[attr^=v]`, `[attr$=v]`, `[attr*=v]` (quoted or not),
joined by spaces (descendant).  That subset covers what the documents need without a new
dependency.

Rendering costs a kernel per chapter, so every document that must render cleanly becomes a
chapter of ONE throwaway book, rendered once per session (HTML + PDF, keeping the typst
source); only documents that must fail get a book of their own.
"""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import quartowrap.writers.typst.pdf as typst_pdf
import yaml
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.errors import BuildError
from quartowrap.progress import Progress

SMOKE_DIR = Path(__file__).parent / "smoke"
VERSION = "0.0.0-smoke"
pytestmark = pytest.mark.slow

# Documents that reveal a gap or bug in the engine: kept, and expected to fail until fixed.
KNOWN_FAILURES: dict[str, str] = {}


# --------------------------------------------------------------------------------------
# The expectations schema
# --------------------------------------------------------------------------------------

Pair = tuple[list[str], list[str]]


@dataclass(frozen=True)
class SmokeSpec:
    """What one smoke document declares about its outputs."""

    path: Path
    html_elements: Pair = ([], [])
    html_regexes: Pair = ([], [])
    typst_regexes: Pair = ([], [])
    pdf_regexes: Pair = ([], [])
    files: tuple[tuple[str, Pair], ...] = ()
    strict: bool = False
    expect_error: str | None = None
    bibliography: tuple[str, ...] = ()

    @property
    def needs_pdf(self) -> bool:
        return any(self.typst_regexes) or any(self.pdf_regexes)


_KNOWN_KEYS = {
    "html": {"ensureHtmlElements", "ensureFileRegexMatches"},
    "typst": {"ensureTypstFileRegexMatches"},
    "pdf": {"ensurePdfRegexMatches"},
}


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    if not match:
        raise ValueError(f"{path}: no front matter")
    return yaml.safe_load(match.group(1)) or {}


def _pair(value: Any, where: str) -> Pair:
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        raise ValueError(f"{where}: expected [[present…], [absent…]], got {value!r}")
    present = [str(v) for v in value[0]]
    absent = [str(v) for v in value[1]] if len(value) == 2 else []
    return present, absent


def load_spec(path: Path) -> SmokeSpec:
    """Parse and check the `_quarto: tests:` block of a smoke document."""
    meta = _front_matter(path)
    tests = (meta.get("_quarto") or {}).get("tests")
    if not isinstance(tests, dict):
        raise ValueError(f"{path.name}: front matter has no `_quarto: tests:` mapping")
    pairs: dict[str, Pair] = {}
    for fmt, checks in tests.items():
        if fmt in ("strict", "expect-error", "files"):
            continue
        if fmt not in _KNOWN_KEYS or not isinstance(checks, dict):
            raise ValueError(f"{path.name}: unknown test format {fmt!r}")
        for name, value in checks.items():
            if name not in _KNOWN_KEYS[fmt]:
                raise ValueError(f"{path.name}: {fmt}: unknown check {name!r}")
            pairs[name] = _pair(value, f"{path.name}: {fmt}.{name}")
    bib = meta.get("bibliography") or ()
    spec = SmokeSpec(
        path=path,
        html_elements=pairs.get("ensureHtmlElements", ([], [])),
        html_regexes=pairs.get("ensureFileRegexMatches", ([], [])),
        typst_regexes=pairs.get("ensureTypstFileRegexMatches", ([], [])),
        pdf_regexes=pairs.get("ensurePdfRegexMatches", ([], [])),
        files=tuple(
            (name, _pair(value, f"{path.name}: files.{name}"))
            for name, value in (tests.get("files") or {}).items()
        ),
        strict=bool(tests.get("strict", False)),
        expect_error=tests.get("expect-error"),
        bibliography=(bib,) if isinstance(bib, str) else tuple(bib),
    )
    if spec.expect_error is None and not (
        any(spec.html_elements) or any(spec.html_regexes) or spec.needs_pdf or spec.files
    ):
        raise ValueError(f"{path.name}: declares no expectation")
    return spec


def smoke_documents() -> list[Path]:
    return sorted(p for p in SMOKE_DIR.glob("*.qmd") if not p.name.startswith("_"))


# --------------------------------------------------------------------------------------
# A tiny CSS-selector subset over html.parser
# --------------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _TreeBuilder(HTMLParser):
    """Enough of a DOM for selector matching; tolerant of unclosed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.current = self.root
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        self.all.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        self.all.append(element)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent


_COMPOUND = re.compile(
    r"(?P<tag>[a-zA-Z][\w-]*|\*)?"
    r"(?P<rest>(?:[#.][\w-]+|\[[\w-]+(?:[\^$*]?=(?:'[^']*'|\"[^\"]*\"|[^\]]*))?\])*)$"
)
_PART = re.compile(r"#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)|\[(?P<attr>[\w-]+)(?:(?P<op>[\^$*]?=)"
                   r"(?P<val>'[^']*'|\"[^\"]*\"|[^\]]*))?\]")  # fmt: skip


def _split_selector(selector: str) -> list[str]:
    """Split on whitespace outside [...] (attribute values may contain spaces); a child
    combinator `>` is a part of its own."""
    parts, depth, current = [], 0, ""
    for char in selector.strip():
        depth += char == "["
        depth -= char == "]"
        if (char.isspace() or char == ">") and depth == 0:
            if current:
                parts.append(current)
            current = ""
            if char == ">":
                parts.append(">")
        else:
            current += char
    return [*parts, current] if current else parts


def _matches(element: Element, compound: str) -> bool:
    match = _COMPOUND.match(compound)
    if not match:
        raise ValueError(f"unsupported selector {compound!r}")
    if match.group("tag") not in (None, "*") and element.tag != match.group("tag").lower():
        return False
    for part in _PART.finditer(match.group("rest")):
        if part.group("id") is not None and element.attrs.get("id") != part.group("id"):
            return False
        if part.group("cls") is not None and part.group("cls") not in element.classes:
            return False
        if part.group("attr") is not None:
            name = part.group("attr")
            if name not in element.attrs:
                return False
            op, value = part.group("op"), (part.group("val") or "").strip("'\"")
            actual = element.attrs[name]
            if (
                op
                and not {
                    "=": actual == value,
                    "^=": actual.startswith(value),
                    "$=": actual.endswith(value),
                    "*=": value in actual,
                }[op]
            ):
                return False
    return True


def _matches_chain(element: Element, compounds: list[str], combinators: list[str]) -> bool:
    """`element` matches the last compound and its ancestors the ones before it, a parent for
    `>` and any ancestor for a space."""
    if not _matches(element, compounds[-1]):
        return False
    if len(compounds) == 1:
        return True
    node = element.parent
    while node is not None and node.tag != "#root":
        if _matches_chain(node, compounds[:-1], combinators[:-1]):
            return True
        if combinators[-1] == ">":
            return False
        node = node.parent
    return False


def select(html: str, selector: str) -> list[Element]:
    """Elements of `html` matching `selector` (descendant ` ` and child `>` combinators)."""
    builder = _TreeBuilder()
    builder.feed(html)
    compounds: list[str] = []
    combinators: list[str] = []
    pending = " "
    for part in _split_selector(selector):
        if part == ">":
            pending = ">"
            continue
        if compounds:
            combinators.append(pending)
        compounds.append(part)
        pending = " "
    return [e for e in builder.all if _matches_chain(e, compounds, combinators)]


def test_selector_subset() -> None:
    """The selector matcher itself, on a hand-written page (so the smoke checks can fail)."""
    page = (
        '<div class="callout callout-note" id="x"><p>t <a href="b.html#tbl-1" class="quarto-xref">'
        '1</a></p><img alt="A cat"></div><span class="other"></span>'
    )
    assert len(select(page, "div.callout-note")) == 1
    assert len(select(page, "div.callout-note a.quarto-xref[href$='#tbl-1']")) == 1
    assert len(select(page, "img[alt='A cat']")) == 1
    assert select(page, "img[alt='A dog']") == []
    assert select(page, "span a") == []
    assert len(select(page, "#x p")) == 1
    assert len(select(page, "div > p > a.quarto-xref")) == 1
    assert len(select(page, "div>p")) == 1
    assert select(page, "div > a") == []  # a grandchild is not a child


# --------------------------------------------------------------------------------------
# Throwaway book projects
# --------------------------------------------------------------------------------------

INDEX = "# Preface {.unnumbered}\n\nA throwaway book holding smoke documents.\n"


def build_project(root: Path, specs: list[SmokeSpec]) -> Path:
    """A one-part book whose chapters are `specs` (plus index.qmd), with their support files."""
    root.mkdir(parents=True, exist_ok=True)
    for support in SMOKE_DIR.iterdir():
        if support.is_file() and (support.name.startswith("_") or support.suffix != ".qmd"):
            shutil.copyfile(support, root / support.name)
    for spec in specs:
        shutil.copyfile(spec.path, root / spec.path.name)
    (root / "index.qmd").write_text(INDEX, encoding="utf-8")
    bibs = sorted({b for spec in specs for b in spec.bibliography})
    config: dict[str, Any] = {
        "project": {"type": "book", "output-dir": "_output"},
        "book": {
            "title": "Smoke book",
            "author": "quartowrap tests",
            "date": "2024-01-01",
            "chapters": ["index.qmd", *[spec.path.name for spec in specs]],
        },
        "execute": {"freeze": False},
        "format": {"html": {"toc": True}, "typst": {"toc": True}},
        # The PDF front matter (frontmatter.validate_kce) requires these three keys even
        # for a book that is not a KCE report; see docs/quarto-compat.md.
        "kce": {"report-number": 0, "series": "Smoke tests", "short-title": "Smoke book"},
        # the KCE theme reads that block (and knows the key-findings callout)
        "quartowrap": {"theme": "kce"},
    }
    if bibs:
        config["bibliography"] = bibs
    (root / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    glossary = root / "data" / "glossary"  # also required by the KCE front matter
    glossary.mkdir(parents=True, exist_ok=True)
    (glossary / "abbreviations.csv").write_text("abbreviation,expansion\n", encoding="utf-8")
    (glossary / "glossary.csv").write_text("term,definition\n", encoding="utf-8")
    return root


@dataclass
class Rendered:
    release: Path
    typst: str

    def html(self, stem: str) -> str:
        return (self.release / "html" / f"{stem}.html").read_text(encoding="utf-8")

    @functools.cached_property
    def pdf_text(self) -> str:
        from pypdf import PdfReader

        [pdf] = self.release.glob("*.pdf")
        return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def render(root: Path, *, pdf: bool, strict: bool = False) -> Rendered:
    """Render with the embedded engine, keeping the typst source next to the project."""
    keep = root / "typst-source"
    options = RenderOptions(
        to=("html", "pdf") if pdf else ("html",),
        engine="embedded",
        strict=strict,
        use_freeze=False,
        version=VERSION,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            typst_pdf, "write_pdf", functools.partial(typst_pdf.write_pdf, keep_source=keep)
        )
        result = render_project(root, options, progress=Progress(plain=True, quiet=True))
    main = keep / "main.typ"
    return Rendered(result.release_dir, main.read_text(encoding="utf-8") if main.exists() else "")


SPECS = [load_spec(p) for p in smoke_documents()]
CLEAN = [s for s in SPECS if s.expect_error is None and not s.strict]


@pytest.fixture(scope="session")
def shared_book(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    root = build_project(tmp_path_factory.mktemp("smoke") / "book", CLEAN)
    return render(root, pdf=any(s.needs_pdf for s in CLEAN))


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _check_regexes(text: str, pair: Pair, what: str) -> list[str]:
    present, absent = pair
    problems = [f"{what}: no match for /{rx}/" for rx in present if not re.search(rx, text)]
    problems += [f"{what}: unexpected match for /{rx}/" for rx in absent if re.search(rx, text)]
    return problems


def typst_chapter(typst: str, title: str) -> str:
    """This chapter's slice of the book's typst source (from its title to the next chapter).

    Chapter headings are written as `= #qw-num("3")Title`; an unknown title gives "".
    """
    starts = [m.start() for m in re.finditer(r"(?m)^= ", typst)]
    heading = re.compile(r"= (?:#qw-num\([^)]*\))?" + re.escape(title))
    for i, start in enumerate(starts):
        if heading.match(typst, start):
            end = starts[i + 1] if i + 1 < len(starts) else len(typst)
            return typst[start:end]
    return ""


def check(spec: SmokeSpec, rendered: Rendered) -> list[str]:
    """Every violated expectation of `spec`, as readable lines."""
    problems: list[str] = []
    stem = spec.path.stem
    if any(spec.html_elements) or any(spec.html_regexes):
        html = rendered.html(stem)
        present, absent = spec.html_elements
        problems += [f"html: no element matches {s!r}" for s in present if not select(html, s)]
        problems += [f"html: unexpected element {s!r}" for s in absent if select(html, s)]
        problems += _check_regexes(html, spec.html_regexes, "html")
    if any(spec.typst_regexes):
        title = _chapter_title(spec.path)
        problems += _check_regexes(
            typst_chapter(rendered.typst, title), spec.typst_regexes, "typst"
        )
    if any(spec.pdf_regexes):
        problems += _check_regexes(rendered.pdf_text, spec.pdf_regexes, "pdf")
    for name, pair in spec.files:
        target = rendered.release / name
        if not target.is_file():
            problems.append(f"{name}: not in the release")
        else:
            problems += _check_regexes(target.read_text(encoding="utf-8"), pair, name)
    return problems


def _chapter_title(path: Path) -> str:
    match = re.search(r"(?m)^# (.+?)(?:\s*\{.*\})?$", path.read_text(encoding="utf-8"))
    return match.group(1) if match else path.stem


def _param(spec: SmokeSpec) -> Any:
    reason = KNOWN_FAILURES.get(spec.path.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(spec, id=spec.path.stem, marks=marks)


@pytest.mark.parametrize("spec", [_param(s) for s in CLEAN])
def test_smoke_document(spec: SmokeSpec, shared_book: Rendered) -> None:
    problems = check(spec, shared_book)
    assert not problems, f"{spec.path.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("spec", [_param(s) for s in SPECS if s not in CLEAN])
def test_smoke_document_alone(spec: SmokeSpec, tmp_path: Path) -> None:
    """Documents that must fail, or need --strict, get a book of their own."""
    root = build_project(tmp_path / "book", [spec])
    if spec.expect_error is None:
        problems = check(spec, render(root, pdf=spec.needs_pdf, strict=spec.strict))
        assert not problems, f"{spec.path.name}:\n  " + "\n  ".join(problems)
        return
    with pytest.raises(BuildError) as caught:
        render(root, pdf=spec.needs_pdf, strict=spec.strict)
    assert re.search(spec.expect_error, str(caught.value)), str(caught.value)
    assert not (root / "_output" / VERSION).exists(), "a failed build must publish nothing"


def test_every_document_declares_expectations() -> None:
    assert len(SPECS) >= 10
    assert all(s.path.name in {x.path.name for x in SPECS} for s in CLEAN)


def test_plain_quarto_book_renders(tmp_path: Path) -> None:
    """A book with no KCE metadata at all is still a valid Quarto project and must render."""
    root = tmp_path / "plain"
    root.mkdir()
    (root / "index.qmd").write_text(INDEX, encoding="utf-8")
    (root / "intro.qmd").write_text("# Introduction\n\nPlain prose.\n", encoding="utf-8")
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Plain\n  chapters: [index.qmd, intro.qmd]\n",
        encoding="utf-8",
    )
    rendered = render(root, pdf=True)
    assert "Plain prose." in rendered.html("intro")
