"""Themes: the same book rendered with `default` and `kce`, a copied theme folder, book
stylesheets and typst partials, and the errors a wrong theme choice gives."""

from __future__ import annotations

import dataclasses
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.commands.render import RenderOptions, book_slug, render_project
from quartowrap.errors import ConfigError
from quartowrap.progress import Progress
from quartowrap.project.config import load_book_config
from quartowrap.project.theme import THEMES_DIR, builtin_theme, builtin_themes, load_theme

BIB = "@book{tukey1977, author = {Tukey, John W.}, title = {Exploratory Data Analysis},\n"
BIB += "  publisher = {Addison-Wesley}, year = {1977}}\n"

CHAPTER = """\
# Findings {#sec-findings}

::: {.callout-key-findings}
- The first finding.
:::

Exploratory analysis comes first [@tukey1977].
"""


def _book(root: Path, theme: str | None, extra: str = "") -> Path:
    """A small book; only the `quartowrap: theme:` line differs between two renders."""
    root.mkdir(parents=True)
    chosen = f"quartowrap:\n  theme: {theme}\n" if theme else ""
    (root / "_quarto.yml").write_text(
        textwrap.dedent(
            """\
            project:
              type: book
            book:
              title: "Theme test"
              author: ["Ann Author"]
              date: "2024"
              chapters: [index.qmd, findings.qmd, references.qmd]
            bibliography: refs.bib
            kce:
              report-number: 42
              series: Health Services Research
              short-title: Theme test
            """
        )
        + chosen
        + extra,
        encoding="utf-8",
    )
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n\nA preface.\n", encoding="utf-8")
    (root / "findings.qmd").write_text(CHAPTER, encoding="utf-8")
    (root / "references.qmd").write_text(
        "# References {.unnumbered}\n\n::: {#refs}\n:::\n", encoding="utf-8"
    )
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    glossary = root / "data" / "glossary"
    glossary.mkdir(parents=True)
    (glossary / "abbreviations.csv").write_text(
        "abbreviation,expansion\nEDA,Exploratory data analysis\n", encoding="utf-8"
    )
    return root


def _render(root: Path, to: tuple[str, ...] = ("html", "pdf")) -> Path:
    result = render_project(
        root,
        RenderOptions(to=to, use_freeze=False, version="1.0.0", jobs=1),  # type: ignore[arg-type]
        progress=Progress(plain=True, quiet=True),
    )
    return result.release_dir


def _pdf(release: Path) -> tuple[str, set[str]]:
    reader = PdfReader(next(release.glob("*.pdf")))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    fonts: set[str] = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return text, fonts


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("themes")
    return {name: _render(_book(tmp / name, name)) for name in ("kce", "default")}


@pytest.mark.slow
def test_kce_theme_prints_cover_colophon_and_report_label(both):
    release = both["kce"]
    text, fonts = _pdf(release)
    assert "KCE Report 42" in text and "Colophon" in text
    assert "Belgian Health Care Knowledge Centre (KCE)" in text  # the theme's publisher
    assert "Exploratory data analysis" in text  # glossary list from the data directory
    assert any(f.startswith("SourceSans3") for f in fonts), fonts
    assert "(Tukey 1977)" not in text  # the theme's numeric Vancouver style
    assert next(release.glob("*.pdf")).name == "kce-report-42-1.0.0.pdf"
    index = (release / "html" / "index.html").read_text(encoding="utf-8")
    assert "KCE Report 42" in index
    assert 'href="assets/theme/theme.css"' in index
    assert (release / "html" / "colophon.html").is_file()
    findings = (release / "html" / "findings.html").read_text(encoding="utf-8")
    assert "callout-key-findings" in findings and "Key findings" in findings


@pytest.mark.slow
def test_default_theme_is_a_plain_book(both):
    release = both["default"]
    text, fonts = _pdf(release)
    assert "KCE" not in text and "Colophon" not in text
    assert "Theme test" in text and "Contents" in text
    assert any(f.startswith("LibertinusSerif") for f in fonts), fonts
    assert not any(f.startswith("SourceSans3") for f in fonts), fonts
    # pandoc's default style (Chicago author-date, as Quarto), not the KCE Vancouver style
    assert "(Tukey 1977)" in text
    assert next(release.glob("*.pdf")).name == "theme-test-1.0.0.pdf"
    html = release / "html"
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "KCE" not in index and "assets/theme/" not in index
    assert not (html / "colophon.html").exists()
    assert not (html / "assets" / "theme").exists()
    findings = (html / "findings.html").read_text(encoding="utf-8")
    assert "Key findings" not in findings  # not a callout kind of the default theme
    assert "Tukey 1977</a>)" in findings  # linked author-date citation


def test_builtin_themes_declare_every_file_they_use():
    assert builtin_themes() == ["default", "kce"]
    for name in builtin_themes():
        theme = builtin_theme(name)
        folder = theme.path(theme.typst_template).parent
        for partial in theme.typst_partials:
            assert (folder / partial).is_file(), (name, partial)
            text = (folder / partial).read_text(encoding="utf-8")
            assert "kce-" not in text or name == "kce", (name, partial)
    kce = builtin_theme("kce")
    assert kce.metadata_key == "kce" and kce.report_label == "KCE Report {report-number}"
    assert dict(kce.callouts) == {"key-findings": "Key findings"}
    default = builtin_theme("default")
    assert default.metadata_key is None and default.csl is None and default.fonts is None


def test_typst_filter_calls_only_functions_every_theme_defines():
    lua = (THEMES_DIR.parent / "writers" / "typst" / "typst.lua").read_text(encoding="utf-8")
    pdf = (THEMES_DIR.parent / "writers" / "typst" / "pdf.py").read_text(encoding="utf-8")
    called = set(re.findall(r"#(qw-[a-z-]+)\(", lua + pdf)) | set(
        re.findall(r'"#(qw-[a-z-]+)[\[(]', lua)
    )
    called |= set(re.findall(r'wrap\("#(qw-[a-z-]+)"', lua))
    assert "kce" not in lua.lower()
    assert {"qw-num", "qw-callout", "qw-wide", "qw-cover", "qw-front"} <= called
    for name in builtin_themes():
        theme = builtin_theme(name)
        folder = theme.path(theme.typst_template).parent
        defined = set(
            re.findall(
                r"#let (qw-[a-z-]+)",
                "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.typ")),
            )
        )
        assert called <= defined, (name, called - defined)


def test_theme_dir_book_css_and_typst_partials(tmp_path):
    """A copied theme folder, the book's own stylesheet and a replaced typst partial."""
    root = _book(
        tmp_path / "book",
        None,
        "quartowrap:\n  theme-dir: house\nformat:\n  html:\n    css: styles.css\n"
        "  typst:\n    template-partials: [partials/front-matter.typ]\n",
    )
    shutil.copytree(THEMES_DIR / "default", root / "house")
    manifest = root / "house" / "theme.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        .replace("name: default", "name: house")
        .replace("css: []", "css: [house.css]"),
        encoding="utf-8",
    )
    (root / "house" / "html").mkdir(exist_ok=True)  # the default theme ships no CSS of its own
    (root / "house" / "html" / "house.css").write_text(":root { --link: #123456; }\n")
    (root / "styles.css").write_text(".byline { color: #654321; }\n", encoding="utf-8")
    (root / "partials").mkdir()
    own = (THEMES_DIR / "default" / "typst" / "front-matter.typ").read_text(encoding="utf-8")
    own = own.replace('qw-front-heading("Contents")', 'qw-front-heading("Inhoud")')
    (root / "partials" / "front-matter.typ").write_text(own, encoding="utf-8")

    config = load_book_config(root)
    assert config.theme is not None and config.theme.name == "house"
    assert config.kce == {}  # the copied default theme reads no metadata block

    from quartowrap.writers.typst.pdf import copy_template

    copy_template(config, config.theme, tmp_path / "typst")
    assert "Inhoud" in (tmp_path / "typst" / "front-matter.typ").read_text(encoding="utf-8")

    release = _render(root, ("html",))
    index = (release / "html" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', index)
    assert links == ["assets/html/site.css", "assets/theme/house.css", "styles.css"]
    assert (release / "html" / "styles.css").read_text() == ".byline { color: #654321; }\n"
    assert "#123456" in (release / "html" / "assets" / "theme" / "house.css").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("quartowrap:\n  theme: acme\n", r"_quarto\.yml:\d+: unknown theme 'acme'"),
        ("quartowrap:\n  theme-dir: ../elsewhere\n", r"theme-dir must be inside the project"),
        ("quartowrap:\n  theme-dir: nothing-here\n", r"theme-dir: no theme\.yml in nothing-here"),
        ("format:\n  html:\n    css: missing.css\n", r"_quarto\.yml:\d+: file not found: missing"),
    ],
)
def test_a_wrong_theme_choice_names_the_file_and_line(tmp_path, extra, message):
    root = _book(tmp_path / "book", None, extra)
    with pytest.raises(ConfigError, match=message):
        load_book_config(root)


def test_a_theme_manifest_naming_a_missing_file_is_refused(tmp_path):
    shutil.copytree(THEMES_DIR / "kce", tmp_path / "t", ignore=shutil.ignore_patterns("*.otf"))
    (tmp_path / "t" / "html" / "theme.css").unlink()
    with pytest.raises(ConfigError, match=r"theme\.yml:1: the theme names a missing file"):
        load_theme(tmp_path / "t")


def test_default_theme_without_metadata_block_has_no_report_label(tmp_path):
    root = _book(tmp_path / "book", "default")
    config = load_book_config(root)
    assert config.kce == {}
    kce = dataclasses.replace(config, theme=builtin_theme("kce"), kce={"report-number": 7})
    assert book_slug(kce) == "kce-report-7" and book_slug(config) == "theme-test"
