"""End-to-end: render the mini fixture book to HTML and PDF and check what a reader gets.

One session-scoped render is shared by the checks; a second clean render of the same
commit must be byte-identical; a failing cell must leave the previous release untouched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.commands.render import RenderOptions, RenderResult, render_project
from quartowrap.errors import CellError
from quartowrap.progress import Progress

FIXTURE = Path(__file__).parent / "fixtures" / "mini-book"
pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _project(tmp: Path) -> Path:
    """A committed copy of the fixture book (the version and manifest come from git)."""
    project = tmp / "book"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("_output", "_freeze"))
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "fixture")
    return project


def _quiet() -> Progress:
    return Progress(plain=True, quiet=True)


@dataclass
class Built:
    project: Path
    result: RenderResult

    @property
    def release(self) -> Path:
        return self.result.release_dir


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    project = _project(tmp_path_factory.mktemp("e2e"))
    result = render_project(project, RenderOptions(strict=True), progress=_quiet())
    return Built(project, result)


def _pdf_text(release: Path) -> str:
    [pdf] = release.glob("*.pdf")
    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def test_release_has_site_pdf_tables_figures_manifest(built: Built) -> None:
    release = built.release
    assert (release / "html" / "index.html").is_file()
    assert len(list(release.glob("*.pdf"))) == 1
    manifest = (release / "manifest.json").read_text()
    for table in re.findall(r'"csv": "(tables/[^"]+)"', manifest):
        assert (release / table).is_file()
    assert list((release / "tables").glob("tbl-*.csv")), "labelled tables are exported"
    assert list((release / "figures").glob("fig-*.svg")), "labelled figures are exported"
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release)
    assert check.returncode == 0


def test_manifest_records_sources_and_data(built: Built) -> None:
    import json

    manifest = json.loads((built.release / "manifest.json").read_text())
    assert manifest["engine"] == "embedded"
    assert manifest["git_commit"] and not manifest["git_dirty"]
    assert "data/small.csv" in manifest["data_files"]
    assert set(manifest["chapters"]) >= {"index.qmd", "chapters/01-data.qmd"}
    assert all(t["number"].startswith("Table ") for t in manifest["tables"])


def test_pdf_numbers_tables_and_figures(built: Built) -> None:
    text = _pdf_text(built.release)
    assert re.search(r"Table 1\s*[–-]", text), "tables carry 'Table N –' captions"
    assert re.search(r"Figure 1\s*[–-]", text)
    assert "KCE Report 999" in text


def test_html_cross_references_point_at_existing_ids(built: Built, check_links) -> None:  # type: ignore[no-untyped-def]
    problems, checked = check_links(built.release / "html")
    assert problems == [] and checked > 0


def test_two_clean_builds_are_byte_identical(built: Built, tmp_path: Path) -> None:
    first = (built.release / "SHA256SUMS").read_text()
    shutil.rmtree(built.project / "_freeze", ignore_errors=True)
    again = render_project(
        built.project,
        RenderOptions(strict=True, use_freeze=False, output_root=tmp_path / "again"),
        progress=_quiet(),
    )
    assert again.version == built.result.version
    assert (again.release_dir / "SHA256SUMS").read_text() == first


def test_failing_cell_names_file_and_line_and_keeps_previous_release(
    built: Built, tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(built.project, project, ignore=shutil.ignore_patterns("_freeze"))
    before = (project / "_output" / built.result.version / "SHA256SUMS").read_text()
    chapter = project / "chapters" / "02-results.qmd"
    lines = chapter.read_text().splitlines()
    first_cell = next(i for i, line in enumerate(lines) if line.startswith("```{python}"))
    lines.insert(first_cell + 1, "raise KeyError('sc_finance')")
    chapter.write_text("\n".join(lines) + "\n")
    with pytest.raises(CellError) as failure:
        render_project(project, RenderOptions(version=built.result.version), progress=_quiet())
    assert str(failure.value).startswith(f"chapters/02-results.qmd:{first_cell + 2}: KeyError")
    after = (project / "_output" / built.result.version / "SHA256SUMS").read_text()
    assert after == before
    assert not [p for p in (project / "_output").iterdir() if p.name.startswith(".staging")]


def test_unchanged_build_reuses_the_release_and_a_damaged_one_is_rebuilt(built: Built) -> None:
    release = built.release
    before = release.stat().st_ino
    again = render_project(built.project, RenderOptions(strict=True), progress=_quiet())
    assert again.release_dir == release and release.stat().st_ino == before, "not rebuilt"
    assert again.warnings == built.result.warnings
    [pdf] = release.glob("*.pdf")
    pdf.unlink()
    repaired = render_project(built.project, RenderOptions(strict=True), progress=_quiet())
    assert [p.name for p in repaired.release_dir.glob("*.pdf")] == [pdf.name]
    assert repaired.release_dir.stat().st_ino != before


def test_one_chapter_render_keeps_book_wide_numbers(built: Built, tmp_path: Path) -> None:
    import json

    full = json.loads((built.release / "manifest.json").read_text())
    numbers = {t["label"]: t["number"] for t in full["tables"] + full["figures"]}
    result = render_project(
        built.project,
        RenderOptions(
            to=("html",), chapter=Path("chapters/02-results.qmd"), output_root=tmp_path / "one"
        ),
        progress=_quiet(),
    )
    page = (result.release_dir / "html" / "02-results.html").read_text(encoding="utf-8")
    later = [label for label, number in numbers.items() if label in page and number != "Table 1"]
    assert later, "chapter 2 holds tables or figures numbered after chapter 1's"
    for label in later:
        shown = numbers[label].replace(" ", "&nbsp;")  # Quarto's "Table&nbsp;2"
        assert shown in page, f"{label} keeps its number {numbers[label]}"
    assert not list(result.release_dir.glob("*.pdf"))


# --- a release that can be published as it is ------------------------------------------


def test_release_files_are_readable_by_others(built: Built) -> None:
    """Permissions follow the umask (0644/0755 under 022), not mkdtemp's drwx------."""
    from quartowrap.publish.release import current_umask

    mask = current_umask()
    wrong = [
        f"{path.relative_to(built.release)}: {oct(path.stat().st_mode & 0o777)}"
        for path in [built.release, *built.release.rglob("*")]
        if (path.stat().st_mode & 0o777) != ((0o777 if path.is_dir() else 0o666) & ~mask)
    ]
    assert wrong == []


def test_the_html_folder_alone_is_the_site(built: Built, check_self_contained) -> None:  # type: ignore[no-untyped-def]
    site = built.release / "html"
    problems, checked = check_self_contained(site)
    assert problems == [] and checked > 0
    html = (site / "01-data.html").read_text(encoding="utf-8")
    assert 'href="tables/tbl-means.csv"' in html, "downloads are links inside html/"
    assert (site / "tables" / "tbl-means.csv").read_bytes() == (
        built.release / "tables" / "tbl-means.csv"
    ).read_bytes()


def test_every_page_links_to_the_pdf(built: Built) -> None:
    [pdf] = built.release.glob("*.pdf")
    site = built.release / "html"
    assert (site / pdf.name).read_bytes() == pdf.read_bytes()
    pages = sorted(site.glob("*.html"))
    assert pages
    for page in pages:
        assert f'href="{pdf.name}"' in page.read_text(encoding="utf-8"), page.name


def test_every_pdf_page_of_a_development_build_is_marked_draft(built: Built) -> None:
    assert "+dev" in built.result.version
    [pdf] = built.release.glob("*.pdf")
    pages = [page.extract_text() or "" for page in PdfReader(pdf).pages]
    unmarked = [
        i + 1
        for i, text in enumerate(pages)
        if "Draft — not a published version" not in " ".join(text.split())
    ]
    assert len(pages) > 3 and unmarked == []


def test_latest_follows_the_tree_from_dirty_back_to_clean(built: Built, tmp_path: Path) -> None:
    project = tmp_path / "book"
    shutil.copytree(built.project, project, symlinks=True)
    latest = project / "_output" / "latest"
    chapter = project / "chapters" / "03-discussion.qmd"
    original = chapter.read_text()

    def render() -> RenderResult:
        return render_project(project, RenderOptions(to=("html",)), progress=_quiet())

    clean = render()
    chapter.write_text(original + "\nA sentence that is not committed.\n")
    dirty = render()
    assert dirty.version.endswith(".dirty") and latest.resolve() == dirty.release_dir.resolve()
    chapter.write_text(original)
    again = render()
    assert again.version == clean.version
    assert latest.resolve() == again.release_dir.resolve() == clean.release_dir.resolve()


# --- errors that point at the author's line ---------------------------------------------


def _break_first_chapter(built: Built, tmp_path: Path, code: str) -> Path:
    project = tmp_path / "typo"
    shutil.copytree(built.project, project, ignore=shutil.ignore_patterns("_output"))
    chapter = project / "chapters" / "01-data.qmd"
    text = chapter.read_text()
    anchor = "means = mean_by_region(scores)\n"
    chapter.write_text(text.replace(anchor, anchor + code, 1))
    return project


def test_a_mistyped_column_shows_the_line_a_caret_and_a_suggestion(
    built: Built, tmp_path: Path
) -> None:
    project = _break_first_chapter(built, tmp_path, 'if True:\n    low = scores["scroe"] < 3\n')
    line = 1 + (project / "chapters" / "01-data.qmd").read_text().splitlines().index(
        '    low = scores["scroe"] < 3'
    )
    with pytest.raises(CellError) as failure:
        render_project(project, RenderOptions(to=("html",)), progress=_quiet())
    shown = str(failure.value)
    assert shown.splitlines()[:4] == [
        f"chapters/01-data.qmd:{line}: KeyError: 'scroe'",
        f'{line:>6} | low = scores["scroe"] < 3',
        "       |       ^^^^^^^^^^^^^^^",
        "  did you mean 'score'?",
    ]
    assert "site-packages" not in shown and "pandas" not in shown
    assert "inside installed packages hidden" in shown
    assert "pandas" in failure.value.traceback, "--traceback still has every frame"


def test_an_error_in_a_project_module_shows_the_way_there(built: Built, tmp_path: Path) -> None:
    project = _break_first_chapter(
        built, tmp_path, 'mean_by_region(scores.drop(columns="region"))\n'
    )
    with pytest.raises(CellError) as failure:
        render_project(project, RenderOptions(to=("html",)), progress=_quiet())
    shown = str(failure.value)
    assert "helpers/summary.py:10, in mean_by_region()" in shown
    assert 'out = frame.groupby("region", sort=False, as_index=False)["score"].mean()' in shown
    assert "its columns: 'group', 'score'" in shown
    assert "site-packages" not in shown


def test_warnings_are_printed_once_each_before_the_summary(built: Built, tmp_path: Path) -> None:
    import io

    project = tmp_path / "warned"
    shutil.copytree(built.project, project, ignore=shutil.ignore_patterns("_output"))
    chapter = project / "chapters" / "03-discussion.qmd"
    chapter.write_text(
        chapter.read_text() + "\nSee @tbl-nothing and again @tbl-nothing [@nobody2020].\n"
    )
    out = io.StringIO()
    render_project(project, RenderOptions(to=("html",)), progress=Progress(out, plain=True))
    lines = out.getvalue().splitlines()
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert any("unresolved reference @tbl-nothing" in w for w in warnings)
    cited = [w for w in warnings if "nobody2020" in w]
    assert len(cited) == 1, "a missing citation is reported once, not again as a broken link"
    assert cited[0].endswith(": unresolved citation @nobody2020")
    assert len(warnings) == len(set(warnings)), "each warning once"
    summary = next(i for i, line in enumerate(lines) if line.startswith("Release "))
    assert summary == len(lines) - 1, "the summary is the last line"
    assert all(lines.index(w) < summary for w in warnings)
    assert not any("index.qmd" in line for line in lines), "no code: not reported"


# --- the author's fast loop: one chapter, the freeze, the PDF kept -----------------------


def test_one_chapter_render_uses_the_freeze_and_keeps_the_pdf(built: Built, tmp_path: Path) -> None:
    import io

    project = tmp_path / "loop"
    shutil.copytree(built.project, project, symlinks=True)
    version = built.result.version
    release = project / "_output" / version
    [pdf] = release.glob("*.pdf")
    pdf_bytes = pdf.read_bytes()
    chapter = Path("chapters/02-results.qmd")

    def render_chapter() -> tuple[RenderResult, str]:
        out = io.StringIO()
        result = render_project(
            project,
            RenderOptions(to=("html",), chapter=chapter, version=version),
            progress=Progress(out, plain=True),
        )
        return result, out.getvalue()

    result, log = render_chapter()
    assert "chapters/02-results.qmd: reused (freeze)" in log and "executed" not in log
    assert result.release_dir == release
    assert pdf.read_bytes() == pdf_bytes, "the PDF of the same sources is kept"
    assert (release / "html" / pdf.name).is_file()
    assert f'href="{pdf.name}"' in (release / "html" / "02-results.html").read_text()
    assert not [w for w in result.warnings if "PDF is kept" in w]

    source = project / chapter
    source.write_text(source.read_text().replace('print("done:",', 'print("finished:",'))
    result, log = render_chapter()
    assert "chapters/02-results.qmd: executed in" in log
    assert "finished: 3" in (release / "html" / "02-results.html").read_text()
    assert pdf.read_bytes() == pdf_bytes, "the other format is not deleted"
    assert [w for w in result.warnings if "PDF is kept" in w], "…and said to be older"


def test_pdf_only_render_keeps_the_html_site(built: Built, tmp_path: Path) -> None:
    project = tmp_path / "pdf-only"
    shutil.copytree(built.project, project, symlinks=True)
    version = built.result.version
    release = project / "_output" / version
    page = release / "html" / "02-results.html"
    page_bytes = page.read_bytes()
    [pdf] = release.glob("*.pdf")

    result = render_project(project, RenderOptions(to=("pdf",), version=version), progress=_quiet())
    assert result.release_dir == release
    assert page.read_bytes() == page_bytes, "the site of the same sources is kept as it was"
    assert (release / "html" / "index.html").is_file()
    assert (release / "html" / pdf.name).read_bytes() == pdf.read_bytes(), "the new PDF"
    assert not [w for w in result.warnings if "HTML site is kept" in w]
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release)
    assert check.returncode == 0, "the kept files are listed in SHA256SUMS"

    source = project / "chapters" / "02-results.qmd"
    source.write_text(source.read_text() + "\nA sentence only the PDF has.\n")
    result = render_project(project, RenderOptions(to=("pdf",), version=version), progress=_quiet())
    assert "A sentence only the PDF has" in _pdf_text(release).replace("\n", " ")
    assert page.read_bytes() == page_bytes, "the other format is not deleted"
    assert [w for w in result.warnings if "HTML site is kept" in w], "…and said to be older"
