"""Confinement: typst, includes and config files read nothing outside the project."""

from __future__ import annotations

import base64
import io
import textwrap
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from quartowrap.assemble.book import assemble_book
from quartowrap.errors import BuildError, ConfigError
from quartowrap.model import BookConfig, ChapterRef, ExecutedChapter
from quartowrap.project.config import load_book_config
from quartowrap.project.qmd import parse_qmd
from quartowrap.writers.typst.pdf import write_pdf

SECRET = "TOP-SECRET-7f3a9c"


def _png(shade: int) -> bytes:
    """A small PNG; a different shade per image, so the PDF cannot share them."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (shade, 97, 110)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png(0)


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A secret file next to (not inside) the project."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    return secret


def _book(root: Path, markdown: str, source: str = "chapters/01.qmd") -> object:
    (root / source).parent.mkdir(parents=True, exist_ok=True)
    (root / source).write_text(markdown, encoding="utf-8")
    config = BookConfig(root=root, title="T", date="2022", chapters=(ChapterRef(Path(source)),))
    return assemble_book(config, [ExecutedChapter(Path(source), {}, markdown)])


def _pdf_text(pdf: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(pdf).pages)


def test_include_outside_the_project_is_an_error_naming_file_and_line(outside: Path) -> None:
    root = outside.parent / "book"
    chapter = root / "chapters" / "01.qmd"
    chapter.write_text("# C\n\nText.\n\n{{< include ../../secret.txt >}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        parse_qmd(chapter, root)
    assert str(err.value).startswith("chapters/01.qmd:5: included file")
    assert "outside the project" in str(err.value)
    assert SECRET not in str(err.value)


def test_include_through_a_symlink_pointing_outside_is_refused(outside: Path) -> None:
    root = outside.parent / "book"
    (root / "chapters" / "_part.qmd").symlink_to(outside)
    chapter = root / "chapters" / "01.qmd"
    chapter.write_text("# C\n\n{{< include _part.qmd >}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"chapters/01.qmd:3: included file .*outside"):
        parse_qmd(chapter, root)


def test_bibliography_outside_the_project_is_an_error(outside: Path) -> None:
    root = outside.parent / "book"
    (root / "index.qmd").write_text("# Home\n", encoding="utf-8")
    (root / "_quarto.yml").write_text(
        textwrap.dedent(
            """\
            project:
              type: book
            book:
              title: T
              chapters: [index.qmd]
            bibliography: ../secret.txt
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"_quarto.yml:6: file .*outside the project"):
        load_book_config(root)


def test_typst_cannot_read_a_file_outside_its_build_folder(outside: Path, tmp_path: Path) -> None:
    """Even raw typst written by the author cannot `#read` the machine's files."""
    root = outside.parent / "book"
    for target in (str(outside), "../secret.txt", "/etc/hostname"):
        book = _book(root, f'# C\n\nBefore `#read("{target}")`{{=typst}} after.\n')
        with pytest.raises(BuildError) as err:
            write_pdf(book, tmp_path / "out.pdf", version="1")
        assert SECRET not in str(err.value)
    assert not (tmp_path / "out.pdf").exists()


def test_images_project_relative_chapter_relative_and_data_uri_reach_the_pdf(
    outside: Path, tmp_path: Path
) -> None:
    root = outside.parent / "book"
    (root / "img").mkdir()
    (root / "img" / "x.png").write_bytes(_png(10))
    (root / "img" / "y.png").write_bytes(_png(20))
    (root / "chapters" / "local.png").write_bytes(_png(30))
    data = "data:image/png;base64," + base64.b64encode(_png(40)).decode()
    markdown = (
        "# C\n\n![Project](img/x.png)\n\n![Rooted](/img/y.png)\n\n![Local](local.png)\n\n"
        f"![Inline]({data})\n\n![Remote](https://example.org/a.png)\n\nEnd.\n"
    )
    out = tmp_path / "out.pdf"
    warnings = write_pdf(_book(root, markdown), out, version="1")
    reader = PdfReader(out)
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 4
    text = _pdf_text(out)
    assert "Remote" in text  # the alt text stands in for the remote image
    assert any(
        w.startswith("chapters/01.qmd:11: remote image https://example.org/a.png") for w in warnings
    ), warnings


def test_image_outside_the_project_is_an_error_naming_file_and_line(
    outside: Path, tmp_path: Path
) -> None:
    root = outside.parent / "book"
    png = outside.parent / "outside.png"
    png.write_bytes(PNG)
    for target in (str(png), "../../outside.png"):
        book = _book(root, f"# C\n\nText.\n\n![Leak]({target})\n")
        with pytest.raises(ConfigError) as err:
            write_pdf(book, tmp_path / "out.pdf", version="1")
        assert str(err.value).startswith("chapters/01.qmd:5: image")
        assert "outside the project" in str(err.value)


def test_missing_image_names_file_and_line(outside: Path, tmp_path: Path) -> None:
    root = outside.parent / "book"
    book = _book(root, "# C\n\n![Gone](img/none.png)\n")
    with pytest.raises(BuildError, match=r"^chapters/01.qmd:3: image not found: img/none.png"):
        write_pdf(book, tmp_path / "out.pdf", version="1")


def test_html_site_refuses_an_image_outside_the_project(outside: Path, tmp_path: Path) -> None:
    from quartowrap.writers.html.site import write_html_site

    root = outside.parent / "book"
    book = _book(root, f"# C\n\n![Leak]({outside})\n")
    with pytest.raises(ConfigError, match=r"^chapters/01.qmd:3: image .*outside the project"):
        write_html_site(book, tmp_path / "site", version="1")
    assert not any((tmp_path / "site").rglob("*secret*"))
